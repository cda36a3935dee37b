public import Foundation

/// Runs `receiverScript` as a child process on a free loopback port and reads what it
/// recorded. `stop()` (also run by `deinit`) kills the child; every wait is bounded.
public final class PythonReceiver: @unchecked Sendable {
    /// Longest wait for the child to bind and report its port.
    public static let startupLimit: TimeInterval = 10
    /// Longest wait for the child to exit after SIGTERM before SIGKILL.
    public static let exitLimit: TimeInterval = 3

    public struct Request: Decodable, Sendable {
        public let path: String
        public let headers: [String: String]
        public let body: String
        public let connection: Int
        public let verified_with: [Int]
        /// The query string, if any.
        public let query: String?
        /// When it arrived (Unix seconds, the receiver's clock).
        public let at: Double?
        public var bodyData: Data { Data(base64Encoded: body) ?? Data() }
        /// The body as a JSON object (webhook payloads are objects).
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: bodyData)) as? [String: Any] ?? [:] }
    }

    public let port: Int
    private let process = Process()
    private let directory: URL
    private let logFile: URL
    private let keepFiles: Bool

    /// Starts a receiver on `port` (0: any free port). Give the `directory` of an earlier
    /// receiver to continue its request log (a receiver restarted on the same port).
    public init(secrets: [String] = [], port requestedPort: Int = 0, directory reuse: URL? = nil) throws {
        keepFiles = reuse != nil
        directory = reuse ?? FileManager.default.temporaryDirectory.appendingPathComponent("herald-receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("port"))
        let script = directory.appendingPathComponent("receiver.py")
        let portFile = directory.appendingPathComponent("port")
        logFile = directory.appendingPathComponent("requests.jsonl")
        try receiverScript.write(to: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, portFile.path, logFile.path, String(requestedPort)] + secrets
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(Self.startupLimit)
        var port: Int?
        while port == nil, Date() < deadline, process.isRunning {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        guard let port else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw ReceiverError.didNotStart
        }
        self.port = port
        // It holds the test's stderr: a receiver outliving a killed test would keep
        // `swift test` waiting for that pipe to close.
        try ChildWatchdog.killWhenTestEnds(pid: process.processIdentifier)
    }

    deinit { stop(removeFiles: !keepFiles) }

    /// The directory holding the request log (to restart on the same port and log).
    public var workDirectory: URL { directory }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Requests recorded so far, in arrival order.
    public func requests() -> [Request] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Kills the child (SIGTERM, then SIGKILL after `exitLimit`) and removes its files.
    public func stop(removeFiles: Bool = true) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(Self.exitLimit)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        if removeFiles { try? FileManager.default.removeItem(at: directory) }
    }

    public enum ReceiverError: Error { case didNotStart }
}
