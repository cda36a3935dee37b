/// Why a systemd integration step failed. One type for the whole Systemd/ folder so
/// the daemon logs and counts them the same way: `code` is stable and doubles as the
/// log key and metric label; `description` is one lower-case sentence for the log.
public struct SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers; never rename a raw value (dashboards and alerts use them).
    public enum Code: String, Sendable {
        /// An environment variable systemd sets (LISTEN_PID, WATCHDOG_USEC, …) is not a
        /// valid number.
        case malformedVariable = "systemd_malformed_variable"
        /// `$NOTIFY_SOCKET` is neither a path (`/…`) nor an abstract name (`@…`).
        case unsupportedNotifyAddress = "systemd_unsupported_notify_address"
        /// `$NOTIFY_SOCKET` does not fit in `sockaddr_un.sun_path`.
        case notifyAddressTooLong = "systemd_notify_address_too_long"
        /// A notify message exceeds what systemd reads in one datagram.
        case notifyMessageTooLong = "systemd_notify_message_too_long"
        /// A field name is empty or contains `=` or a newline.
        case invalidNotifyField = "systemd_invalid_notify_field"
        /// A system call (socket, sendto, fcntl) failed; `detail` holds the errno text.
        case systemCall = "systemd_system_call"
    }

    public let code: Code
    /// What failed and the offending value, e.g. `LISTEN_FDS='x'` or `sendto: Connection refused`.
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String {
        switch code {
        case .malformedVariable: "malformed systemd environment variable \(detail)"
        case .unsupportedNotifyAddress: "unsupported NOTIFY_SOCKET address \(detail)"
        case .notifyAddressTooLong: "NOTIFY_SOCKET address too long: \(detail)"
        case .notifyMessageTooLong: "sd_notify message too long: \(detail)"
        case .invalidNotifyField: "invalid sd_notify field name \(detail)"
        case .systemCall: "system call failed: \(detail)"
        }
    }
}
