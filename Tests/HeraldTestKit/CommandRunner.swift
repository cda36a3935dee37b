public import Foundation

/// Runs the `herald` binary as a command (check, explain, dead-letters) and captures
/// its output; bounded by a timeout.
public enum CommandRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static func herald(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 20,
                              environment: [String: String] = [:]) throws -> Result {
        try run(HeraldProcess.binary, arguments, stdin: stdin, timeout: timeout, environment: environment)
    }

    /// Runs `python3` with `arguments` (a test script and its parameters).
    public static func python(_ arguments: [String], timeout: TimeInterval = 60) throws -> Result {
        try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments, timeout: timeout)
    }

    public static func run(_ executable: URL, _ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 20,
                           environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let box = OutputBox()
        let group = DispatchGroup()
        for (index, pipe) in [out, err].enumerated() {
            group.enter()
            DispatchQueue.global().async {
                box.set(index, pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        guard group.wait(timeout: .now() + timeout) == .success else {
            process.terminate()
            throw HeraldProcessError(message: "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: box.text(0), stderr: box.text(1))
    }

    private final class OutputBox: @unchecked Sendable {
        private let lock = NSLock()
        private var data: [Int: Data] = [:]
        func set(_ index: Int, _ value: Data) { lock.withLock { data[index] = value } }
        func text(_ index: Int) -> String { lock.withLock { String(decoding: data[index] ?? Data(), as: UTF8.self) } }
    }
}
