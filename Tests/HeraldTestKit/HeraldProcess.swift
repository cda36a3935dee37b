public import Foundation

/// The real `herald serve` binary on a loopback port, with its own temp state
/// directory, for black-box tests. Every wait is bounded; `deinit` kills the process,
/// and a `ChildWatchdog` does if the test process dies first.
public final class HeraldProcess: @unchecked Sendable {
    /// Longest wait for the daemon to report its listening port.
    public static let startupLimit: TimeInterval = 15
    /// Longest wait for a graceful exit after SIGTERM.
    public static let exitLimit: TimeInterval = 15

    /// The `herald` binary: `$HERALD_BIN` (set by `make test`) or the one next to the
    /// test bundle in the build directory.
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["HERALD_BIN"] { return URL(fileURLWithPath: path) }
        return (Bundle.main.executableURL ?? Bundle.main.bundleURL).deletingLastPathComponent().appendingPathComponent("herald")
    }

    public let configFile: URL
    public let stateDirectory: URL
    public let logFile: URL
    public let environment: [String: String]
    public private(set) var port = 0
    private var process: Process?
    private let workDirectory: URL

    /// Writes `config` (JSON text) to a temp file and starts the daemon on it.
    public init(config: String, environment: [String: String] = [:], start: Bool = true) throws {
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        configFile = workDirectory.appendingPathComponent("config.json")
        stateDirectory = workDirectory.appendingPathComponent("state")
        logFile = workDirectory.appendingPathComponent("herald.log")
        self.environment = environment
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        if start { try self.start() }
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: workDirectory)
    }

    /// Starts (or restarts) the daemon on the same state directory. The first start
    /// takes any free port; restarts reuse it so clients and targets keep their URLs.
    public func start(extraArguments: [String] = []) throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--config", configFile.path, "--state-dir", stateDirectory.path,
                             "--listen", "127.0.0.1:\(port)"] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: logFile.path) { _ = FileManager.default.createFile(atPath: logFile.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        let linesBefore = logText().components(separatedBy: "\n").count
        try process.run()
        self.process = process
        try ChildWatchdog.killWhenTestEnds(pid: process.processIdentifier)
        let deadline = Date().addingTimeInterval(Self.startupLimit)
        while Date() < deadline, process.isRunning {
            let newLines = logText().components(separatedBy: "\n").dropFirst(linesBefore - 1)
            if let line = newLines.first(where: { $0.contains("HTTP server listening") }),
               let range = line.range(of: #"port=(\d+)"#, options: .regularExpression),
               let found = Int(line[range].dropFirst(5)) {
                port = found
                return
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw HeraldProcessError(message: "herald did not start; log:\n\(logText())")
    }

    public var isRunning: Bool { process?.isRunning ?? false }
    public var pid: Int32 { process?.processIdentifier ?? 0 }

    /// SIGTERM and wait; returns the exit status (nil if it had to be killed).
    @discardableResult
    public func stop() -> Int32? {
        guard let process, process.isRunning else { return process?.terminationStatus }
        process.terminate()
        return wait(process)
    }

    /// SIGKILL: a crash, as far as the daemon can tell.
    public func crash() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends a signal (SIGHUP to reload).
    public func signal(_ number: Int32) {
        if let process, process.isRunning { kill(process.processIdentifier, number) }
    }

    private func wait(_ process: Process) -> Int32? {
        let deadline = Date().addingTimeInterval(Self.exitLimit)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Replaces the config file (then `signal(SIGHUP)` to reload).
    public func writeConfig(_ config: String) throws {
        try config.write(to: configFile, atomically: true, encoding: .utf8)
    }

    public func logText() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Waits (bounded) until the log contains `text`.
    public func waitForLog(_ text: String, timeout: TimeInterval = 10) -> Bool {
        Poll.until(timeout: timeout) { self.logText().contains(text) }
    }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }
}

public struct HeraldProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Bounded polling for conditions that become true asynchronously.
public enum Poll {
    /// Checks `condition` every 20 ms until it holds or `timeout` passes.
    public static func until(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }
}
