/// What one attempt's result means, before limits and timing are applied.
///
/// The split follows Standard Webhooks/Svix practice: the receiver's status says whether
/// sending the same message again can help.
public enum AttemptClass: Sendable, Equatable {
    /// 2xx: the receiver accepted the message.
    case delivered
    /// Worth trying again later (timeouts, connection errors, 408/425/429/5xx).
    case transient(FailureReason, reason: String)
    /// Sending again will not help (3xx, other 4xx, invalid URL): dead letter now.
    case permanent(FailureReason, reason: String)
    /// 410 Gone: the receiver asks us to stop sending to this endpoint at all.
    case gone

    /// Classifies a transport result. A transport error wins over a status, because a
    /// transfer that failed half-way leaves the receiver's decision unknown.
    public static func classify(status: Int?, error: TransportError?) -> AttemptClass {
        if let error {
            let code = FailureReason(error)
            return error.isPermanent ? .permanent(code, reason: error.description) : .transient(code, reason: error.description)
        }
        guard let status else { return .transient(.noStatus, reason: "no response status") }
        switch status {
        case 200...299: return .delivered
        case 410: return .gone
        case 429: return .transient(.rateLimited, reason: "http 429")
        case 408, 425, 500...599: return .transient(.serverError, reason: "http \(status)")
        // Redirects are not followed: a webhook URL that moved must be fixed in the config,
        // and following would re-send a signed body to a host the operator did not name.
        case 300...399: return .permanent(.redirect, reason: "http \(status) (redirects are not followed)")
        case 400...499: return .permanent(.clientError, reason: "http \(status)")
        // Anything else (non-standard codes) is treated as the receiver's trouble, not ours.
        default: return .transient(.unexpectedStatus, reason: "unexpected http status \(status)")
        }
    }
}
