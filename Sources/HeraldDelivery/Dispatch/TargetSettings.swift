public import Foundation

/// Everything the dispatcher needs to know about one webhook target, as configured.
/// Jobs carry their target's settings so a config reload applies to the next attempt.
public struct TargetSettings: Sendable {
    /// Stable name: the per-target queue key and the `target` metric label.
    public var name: String
    public var url: URL
    /// Extra headers from the config. Names the dispatcher sets itself (signature
    /// headers, Content-Type, User-Agent, framing) are ignored so they cannot be spoofed.
    public var headers: [(String, String)]
    /// Active signing secrets; two during a rotation. Requests are signed when there
    /// are any.
    public var secrets: [WebhookSecret]
    /// Whether a request without secrets must be refused rather than sent unsigned
    /// (Herald's standard webhooks; chat receivers authenticate by URL or key instead).
    public var requiresSignature: Bool = true
    /// The body's media type; channel formats may send something other than JSON.
    public var contentType: String = "application/json"
    /// The receiver's exceptions to the generic reading of answers (from its format).
    public var responseRules: ResponseRules = .generic
    /// Least time between the starts of two requests to this target (its `rate`):
    /// jobs wait in the target's queue instead of bursting into the receiver's 429s.
    public var minInterval: TimeInterval?
    public var timeout: TimeInterval
    public var connectTimeout: TimeInterval
    /// Transfers to this target at once; a slow target fills only its own slots.
    public var maxConcurrent: Int
    public var maxAttempts: Int
    public var maxAge: TimeInterval
    /// Delay before each attempt in seconds; see `RetryPolicy`.
    public var schedule: [TimeInterval]
    public var jitter: RetryPolicy.Jitter

    /// Whole transfer limit when the config names none: long enough for a receiver that
    /// writes to a database, short enough that a hung one frees its slot quickly.
    public static let defaultTimeout: TimeInterval = 15
    /// Connection set-up limit when the config names none; loopback and LAN need far less.
    public static let defaultConnectTimeout: TimeInterval = 5
    /// Concurrent transfers per target when the config names none.
    public static let defaultMaxConcurrent = 4

    public init(name: String, url: URL, headers: [(String, String)] = [], secrets: [WebhookSecret],
                timeout: TimeInterval = TargetSettings.defaultTimeout,
                connectTimeout: TimeInterval = TargetSettings.defaultConnectTimeout,
                maxConcurrent: Int = TargetSettings.defaultMaxConcurrent,
                maxAttempts: Int? = nil, maxAge: TimeInterval = RetryPolicy.standardMaxAge,
                schedule: [TimeInterval] = RetryPolicy.standardSchedule, jitter: RetryPolicy.Jitter = .full) {
        self.name = name
        self.url = url
        self.headers = headers
        self.secrets = secrets
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxAttempts = maxAttempts ?? schedule.count
        self.maxAge = maxAge
        self.schedule = schedule
        self.jitter = jitter
    }

    /// The retry policy these settings describe.
    public var retryPolicy: RetryPolicy {
        RetryPolicy(schedule: schedule, maxAttempts: maxAttempts, maxAge: maxAge, jitter: jitter)
    }
}
