public import Foundation
import Glibc
public import HeraldSupport
import Synchronization

/// Tells systemd about the daemon's state with the sd_notify(3) protocol, spoken directly
/// over the `AF_UNIX` datagram socket in `$NOTIFY_SOCKET` (no libsystemd).
///
/// Without `$NOTIFY_SOCKET` (not started by systemd, or `Type=` is not `notify`) every
/// call is a silent no-op. Notifying is best effort: nothing throws into the caller; a
/// method returns whether the datagram was sent, and the first failure is logged once
/// (a broken notify socket would otherwise log every watchdog tick).
public final class SystemdNotifier: Sendable {
    /// systemd reads notify datagrams into a buffer of this size (NOTIFY_BUFFER_MAX,
    /// PIPE_BUF); longer messages would be truncated, so they are refused instead.
    public static let maximumMessageBytes = 4096

    /// Where datagrams go; nil when notifying is disabled.
    private let address: NotifySocketAddress?
    /// Why `$NOTIFY_SOCKET` could not be used, reported on the first send.
    private let addressError: SystemdError?
    private let logger: Logger?
    private let failureLogged = Atomic<Bool>(false)

    /// Reads `$NOTIFY_SOCKET` from `environment`. Pass a `logger` to have the first
    /// failure logged (at warning; later failures are only returned).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger? = nil) {
        self.logger = logger
        guard let text = environment["NOTIFY_SOCKET"], !text.isEmpty else {
            address = nil
            addressError = nil
            return
        }
        do {
            address = try NotifySocketAddress(text)
            addressError = nil
        } catch {
            address = nil
            addressError = error
        }
    }

    /// Whether `$NOTIFY_SOCKET` was set, i.e. whether systemd is listening at all.
    public var isEnabled: Bool { address != nil || addressError != nil }

    /// `READY=1` plus a `STATUS=` line: startup finished (config loaded, store open,
    /// listener up), or a reload finished.
    @discardableResult
    public func ready(status: String) -> Bool {
        send(["READY": "1", "STATUS": status])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC, µs), which systemd ≥ 253
    /// requires to match the reload to this request; send `ready(status:)` when done.
    @discardableResult
    public func reloading() -> Bool {
        send(["RELOADING": "1", "MONOTONIC_USEC": String(Self.monotonicMicroseconds())])
    }

    /// `STOPPING=1`: shutdown has begun, so systemd does not treat the exit as a crash.
    @discardableResult
    public func stopping() -> Bool {
        send(["STOPPING": "1"])
    }

    /// `WATCHDOG=1`: the daemon is alive and making progress (see `Watchdog`).
    @discardableResult
    public func watchdog() -> Bool {
        send(["WATCHDOG": "1"])
    }

    /// `STATUS=`: a one-line summary shown by `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool {
        send(["STATUS": text])
    }

    /// Sends `KEY=value` fields in the given order, one per line. Newlines inside a value
    /// become spaces (a newline would start a new field); an invalid key fails the send.
    @discardableResult
    public func send(_ fields: KeyValuePairs<String, String>) -> Bool {
        var lines: [String] = []
        for (key, value) in fields {
            guard !key.isEmpty, !key.contains("="), !key.contains(where: \.isNewline) else {
                return report(SystemdError(.invalidNotifyField, "'\(key)'"))
            }
            let flatValue = value.split(whereSeparator: \.isNewline).joined(separator: " ")
            lines.append("\(key)=\(flatValue)")
        }
        return send(lines.joined(separator: "\n"))
    }

    /// Sends one raw message (`KEY=value` lines separated by `\n`) as a single datagram.
    @discardableResult
    public func send(_ message: String) -> Bool {
        do {
            return try deliver(message)
        } catch {
            return report(error)
        }
    }

    /// Sends `message`; false when disabled, throws on failure (tests call this to see why).
    func deliver(_ message: String) throws(SystemdError) -> Bool {
        if let addressError { throw addressError }
        guard let address else { return false }
        let bytes = Array(message.utf8)
        guard bytes.count <= Self.maximumMessageBytes else {
            throw SystemdError(.notifyMessageTooLong, "\(bytes.count) bytes, at most \(Self.maximumMessageBytes)")
        }
        let socketFD = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw SystemdError(.systemCall, "socket: \(Self.errnoText())") }
        defer { close(socketFD) }
        let sent = address.withSockAddr { pointer, length in
            bytes.withUnsafeBytes { sendto(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), pointer, length) }
        }
        guard sent == bytes.count else {
            throw SystemdError(.systemCall, "sendto \(address.isAbstract ? "abstract" : "path") socket: \(Self.errnoText())")
        }
        return true
    }

    /// Logs the first failure only, then returns false for the caller.
    private func report(_ error: SystemdError) -> Bool {
        if !failureLogged.exchange(true, ordering: .relaxed) {
            logger?.warning("sd_notify failed, systemd will not see state changes; further failures are not logged",
                            ["code": error.code.rawValue, "error": error.description])
        }
        return false
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC with.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
