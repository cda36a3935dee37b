/// Why a transfer produced no usable HTTP response. `code` is stable: it is the log key
/// and the reason recorded with a retry.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Connect or total timeout expired.
    case timeout(String)
    /// TCP/TLS connection could not be set up (refused, reset, unreachable, handshake).
    case connect(String)
    /// The host name did not resolve.
    case dns(String)
    /// The request can never succeed as written (bad URL, protocol other than http/https,
    /// a header containing a line break).
    case invalidRequest(String)
    /// The client was shut down before the transfer finished.
    case aborted
    /// Anything else curl reported, with its `CURLcode` and message.
    case other(code: Int, message: String)

    public var code: String {
        switch self {
        case .timeout: "timeout"
        case .connect: "connect"
        case .dns: "dns"
        case .invalidRequest: "invalid_request"
        case .aborted: "aborted"
        case .other: "transport"
        }
    }

    /// Retrying an invalid request sends the same invalid request: dead-letter it.
    public var isPermanent: Bool {
        if case .invalidRequest = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .timeout(let message), .connect(let message), .dns(let message), .invalidRequest(let message):
            "\(code): \(message)"
        case .aborted: "aborted: client shut down"
        case .other(let curlCode, let message): "transport error \(curlCode): \(message)"
        }
    }
}
