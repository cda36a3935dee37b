public import Foundation

/// A target's exceptions to the generic reading of answers (`AttemptClass.classify`,
/// `Retry-After`): statuses that are a dead letter at once, a wait given in a 429's JSON
/// body, and a least wait after a 429 that names none. Data, not code per receiver: the
/// daemon fills it from the target's format, so delivery stays format-blind.
public struct ResponseRules: Sendable, Equatable {
    public var deadLetterStatuses: Set<Int>
    /// A top-level JSON member of a 429 body holding the wait in seconds.
    public var retryAfterBodyMember: String?
    /// Least seconds to wait after a 429 that names no wait.
    public var rateLimitWait: TimeInterval?

    public init(deadLetterStatuses: Set<Int> = [], retryAfterBodyMember: String? = nil, rateLimitWait: TimeInterval? = nil) {
        self.deadLetterStatuses = deadLetterStatuses
        self.retryAfterBodyMember = retryAfterBodyMember
        self.rateLimitWait = rateLimitWait
    }

    /// The generic reading: no exceptions.
    public static let generic = ResponseRules()

    /// The attempt's class: the generic one, except for a status these rules make a
    /// dead letter.
    public func classify(status: Int?, error: TransportError?) -> AttemptClass {
        let generic = AttemptClass.classify(status: status, error: error)
        guard case .none = error, let status, deadLetterStatuses.contains(status) else { return generic }
        switch generic {
        case .permanent: return generic
        case .delivered, .transient, .gone: return .permanent(.clientError, reason: "http \(status) (not retried for this receiver)")
        }
    }

    /// Seconds the receiver asks to wait before the next try, or nil: the later of the
    /// `Retry-After` header and the body member (429 only); for a 429 naming neither,
    /// `rateLimitWait`. A malformed value is ignored, never trusted.
    public func requestedWait(status: Int?, retryAfter: String?, body: Data, now: Date) -> TimeInterval? {
        let header = RetryAfter.delay(retryAfter, now: now)
        guard status == 429 else { return header }
        let fromBody = retryAfterBodyMember.flatMap { Self.seconds(member: $0, in: body) }
        let named = [header, fromBody].compactMap { $0 }.max()
        return named ?? rateLimitWait
    }

    /// A finite, non-negative number member of a JSON object body (Discord: `1.234`).
    static func seconds(member: String, in body: Data) -> TimeInterval? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let value = (object[member] as? NSNumber)?.doubleValue else { return nil }
        return value.isFinite && value >= 0 ? value : nil
    }
}
