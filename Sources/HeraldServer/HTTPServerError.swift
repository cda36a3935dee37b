/// Why the HTTP server could not be configured or started. `code` is stable (log key and
/// test anchor); `message` is one lower-case sentence naming the offending value.
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifiers for each failure.
    public enum Code: String, Sendable {
        /// The listen address string does not parse.
        case invalidListenAddress = "invalid_listen_address"
        /// A limit in the configuration is out of its allowed range.
        case invalidConfiguration = "invalid_configuration"
        /// Another socket already listens on the address (EADDRINUSE).
        case addressInUse = "address_in_use"
        /// The address cannot be bound for another reason (permission, not local, …).
        case bindFailed = "bind_failed"
        /// socket(2), listen(2) or getsockname(2) failed.
        case socketFailed = "socket_failed"
        /// libmicrohttpd refused to start the daemon.
        case daemonStartFailed = "daemon_start_failed"
        /// `start()` was called on a server that is running or already stopped.
        case alreadyStarted = "already_started"
        /// A TLS reload was asked of a server that is not running.
        case notRunning = "not_running"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
