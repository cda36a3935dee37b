import Foundation
import Glibc

/// A bound `AF_UNIX` datagram socket standing in for systemd's notify socket.
///
/// The address is built here independently of `NotifySocketAddress`, so a mistake in
/// the notifier's address encoding cannot be mirrored by the test.
final class NotifySocketListener {
    /// Bounds every wait so a missing datagram fails the test instead of hanging it.
    static let defaultTimeoutMilliseconds: Int32 = 2_000

    let descriptor: Int32
    /// The value to put in `NOTIFY_SOCKET`.
    let notifySocket: String
    private let filePath: String?

    /// Binds a fresh socket: a file in the temp directory, or an abstract name (`@…`).
    init(abstract: Bool) throws {
        let unique = "herald-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let nameBytes: [UInt8]
        if abstract {
            notifySocket = "@" + unique
            filePath = nil
            nameBytes = [0] + Array(unique.utf8)
        } else {
            let path = "/tmp/\(unique).sock"
            notifySocket = path
            filePath = path
            nameBytes = Array(path.utf8) + [0]
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: nameBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + nameBytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
    }

    deinit {
        close(descriptor)
        if let filePath { unlink(filePath) }
    }

    /// The next datagram as text, or nil if none arrives within `timeoutMilliseconds`.
    func receive(timeoutMilliseconds: Int32 = defaultTimeoutMilliseconds) -> String? {
        var pollEntry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pollEntry, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 8_192)
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Every datagram that arrives within `milliseconds` (bounded by count as well).
    func drain(forMilliseconds milliseconds: Int) -> [String] {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1_000)
        var messages: [String] = []
        while messages.count < 1_000 {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1_000))
            guard left > 0, let message = receive(timeoutMilliseconds: left) else { break }
            messages.append(message)
        }
        return messages
    }
}

/// Runs a script from the repository with extra environment variables, bounded in time.
struct ScriptRun {
    /// No script here should take long; past this the test fails instead of hanging.
    static let timeoutSeconds: TimeInterval = 120

    let status: Int32
    let output: String

    static func run(_ executable: URL, arguments: [String] = [],
                    environment extra: [String: String] = [:]) throws -> ScriptRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let collected = OutputCollector(pipe.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return ScriptRun(status: process.terminationStatus, output: collected.finish())
    }
}

/// Reads a pipe on a background thread so a chatty script cannot fill it and block.
private final class OutputCollector: @unchecked Sendable {
    private let handle: FileHandle
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        self.handle = handle
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
