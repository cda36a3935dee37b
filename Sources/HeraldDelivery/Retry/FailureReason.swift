/// Why an attempt did not deliver: one closed set whose raw value is at once the
/// `reason` label of the delivery metrics and the `failure.reason` log key, so a graph
/// and a log line name the same cause (STYLE principle 6, Alertmanager's `Reason`).
/// The free-text detail ("http 503", "connect: refused") travels beside it.
public enum FailureReason: String, Sendable, CaseIterable {
    /// Connect or total timeout expired.
    case timeout
    /// The connection could not be set up (refused, reset, unreachable, TLS handshake).
    case connect
    /// The host name did not resolve.
    case dns
    /// The request can never succeed as written (bad URL, missing signing secret).
    case invalidRequest = "invalid_request"
    /// The client shut down before the transfer finished.
    case aborted
    /// Any other transport failure curl reported.
    case transport
    /// The transfer ended without an HTTP status.
    case noStatus = "no_status"
    /// 3xx: redirects are not followed.
    case redirect
    /// 429: the receiver asks us to slow down.
    case rateLimited = "rate_limited"
    /// 4xx other than 408, 410, 425 and 429: the receiver refuses this request.
    case clientError = "client_error"
    /// 5xx, 408, 425: the receiver's trouble, worth retrying.
    case serverError = "server_error"
    /// A status outside the standard ranges.
    case unexpectedStatus = "unexpected_status"
    /// 410 Gone: the receiver asks us to stop sending to this endpoint.
    case gone
    /// The row's target is no longer in the config (decided by the daemon, not sent).
    case targetRemoved = "target_removed"
    /// The target's backlog was at its `maxBacklog` when the notice was committed: kept as
    /// a dead letter at once instead of growing the outbox (decided by the daemon).
    case backlogFull = "backlog_full"
    /// The row has no body and its notice is no longer in the audit log (decided by the
    /// daemon; retention keeps every notice a delivery still needs, so this means damage).
    case noticeMissing = "notice_missing"

    init(_ error: TransportError) {
        switch error {
        case .timeout: self = .timeout
        case .connect: self = .connect
        case .dns: self = .dns
        case .invalidRequest: self = .invalidRequest
        case .aborted: self = .aborted
        case .other: self = .transport
        }
    }
}
