import Foundation

/// Runs `receiverScript` as a child process on a free loopback port and reads what it
/// recorded. `stop()` (also run by `deinit`) kills the child; every wait is bounded.
final class PythonReceiver: @unchecked Sendable {
    /// Longest wait for the child to bind and report its port.
    static let startupLimit: TimeInterval = 10
    /// Longest wait for the child to exit after SIGTERM before SIGKILL.
    static let exitLimit: TimeInterval = 3

    struct Request: Decodable {
        let path: String
        let headers: [String: String]
        let body: String
        let connection: Int
        let verified_with: [Int]
        var bodyData: Data { Data(base64Encoded: body) ?? Data() }
    }

    let port: Int
    private let process = Process()
    private let directory: URL
    private let logFile: URL

    init(secrets: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("receiver.py")
        let portFile = directory.appendingPathComponent("port")
        logFile = directory.appendingPathComponent("requests.jsonl")
        try receiverScript.write(to: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, portFile.path, logFile.path] + secrets
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
    }

    deinit { stop() }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Requests recorded so far, in arrival order.
    func requests() -> [Request] {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Kills the child (SIGTERM, then SIGKILL after `exitLimit`) and removes its files.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(Self.exitLimit)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    enum ReceiverError: Error { case didNotStart }
}
