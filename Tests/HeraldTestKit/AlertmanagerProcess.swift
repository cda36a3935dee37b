public import Foundation
import Glibc

/// A real Prometheus Alertmanager (Debian `prometheus-alertmanager`) on a loopback port,
/// with its own temp config and storage, clustering off. Every wait is bounded;
/// `stop()` (also run by `deinit`) ends it.
public final class AlertmanagerProcess: @unchecked Sendable {
    /// Where Debian installs it; `scripts/install-deps` installs the package.
    public static let binary = "/usr/bin/prometheus-alertmanager"
    /// Longest wait for `/-/ready`.
    public static let startupLimit: TimeInterval = 30
    /// Longest wait for an exit after SIGTERM before SIGKILL.
    public static let exitLimit: TimeInterval = 10

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public let port: Int
    public let logFile: URL
    private let process = Process()
    private let directory: URL

    /// Writes `config` (alertmanager.yml text) and starts Alertmanager on it.
    public init(config: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-alertmanager-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let configFile = directory.appendingPathComponent("alertmanager.yml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        logFile = directory.appendingPathComponent("alertmanager.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        port = try Self.freePort()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--config.file=\(configFile.path)", "--storage.path=\(directory.appendingPathComponent("data").path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=debug"]
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let ready = Poll.until(timeout: Self.startupLimit) {
            guard self.process.isRunning else { return true }
            return (try? HTTPClient.get(self.url("/-/ready"), token: nil))?.status == 200
        }
        guard ready, process.isRunning else {
            let text = logText()
            stop()
            throw HeraldProcessError(message: "alertmanager did not become ready; log:\n\(text)")
        }
    }

    deinit { stop() }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// `POST /api/v2/alerts` with a JSON array of postable alerts; returns the status.
    @discardableResult
    public func postAlerts(_ json: String) throws -> Int {
        try HTTPClient.post(url("/api/v2/alerts"), json: json, token: nil).status
    }

    /// The sum of a metric's series from Alertmanager's `/metrics` whose line contains every `filter`.
    public func metric(_ name: String, containing filters: [String] = []) -> Double {
        guard let text = try? HTTPClient.get(url("/metrics"), token: nil).text else { return 0 }
        return text.split(separator: "\n").filter { line in
            line.hasPrefix(name) && !line.hasPrefix("#") && filters.allSatisfy { line.contains($0) }
        }.compactMap { line in line.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    public func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, bounded wait, then SIGKILL; removes the temp directory.
    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(Self.exitLimit)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A loopback port nothing listens on now (bound to 0, read back, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HeraldProcessError(message: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HeraldProcessError(message: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
