/// What a receiver's answers mean where they differ from the generic reading (2xx
/// delivered, 408/425/429/5xx retried, other 4xx a dead letter, 410 stops the target,
/// `Retry-After` honoured): the facts each receiver documents, kept here with the
/// formats (sources in RECEIVERS.md), applied by the delivery layer, which stays
/// format-blind (the daemon hands them over as `ResponseRules`).
public struct ReceiverAnswers: Sendable, Equatable {
    /// Statuses that are a dead letter at once, whatever the generic reading says.
    public var deadLetter: Set<Int> = []
    /// A JSON member of a 429 answer's body that gives the wait in seconds (a float).
    public var retryAfterBodyMember: String?
    /// Least wait after a 429 that names none: the receiver's window, so a retry does
    /// not land in the same one.
    public var rateLimitWait: Double?

    public init(deadLetter: Set<Int> = [], retryAfterBodyMember: String? = nil, rateLimitWait: Double? = nil) {
        self.deadLetter = deadLetter
        self.retryAfterBodyMember = retryAfterBodyMember
        self.rateLimitWait = rateLimitWait
    }

    /// Slack: `410 channel_is_archived` names one channel's webhook, not Herald's whole
    /// target (per-recipient targets post to many URLs): a dead letter the operator sees,
    /// instead of stopping every other channel. 429 carries `Retry-After` (generic).
    public static let slack = ReceiverAnswers(deadLetter: [410])
    /// Discord: a 429's body says `{"retry_after": 1.234, "global": false}` in seconds,
    /// finer than its `Retry-After` header (discord-api-docs, Rate Limits).
    public static let discord = ReceiverAnswers(retryAfterBodyMember: "retry_after")
    /// PagerDuty Events API v2: 400 is an invalid event (generic dead letter), 429 and 5xx
    /// are retried; the limit is per integration key per minute and a 429 names no wait,
    /// so the next try waits at least 30 s (the documented advice: retries 30 s apart).
    public static let pagerduty = ReceiverAnswers(rateLimitWait: 30)
    /// ntfy: a visitor's bucket refills one request every 5–10 s and a 429 names no
    /// wait, so the next try waits at least 10 s.
    public static let ntfy = ReceiverAnswers(rateLimitWait: 10)
    /// Google Chat: 60 writes per minute per space and "429 ⇒ exponential back-off" with
    /// no wait named: at least one second, the space's rate, before the schedule's backoff.
    public static let googleChat = ReceiverAnswers(rateLimitWait: 1)
}

extension ChannelFormat {
    /// How this format's receiver answers; `generic` (empty) for Herald's own webhooks,
    /// templates, Teams (Power Automate sends `Retry-After`) and Mattermost.
    public var answers: ReceiverAnswers {
        switch self {
        case .slack: .slack
        case .discord: .discord
        case .pagerduty: .pagerduty
        case .ntfy: .ntfy
        case .googleChat: .googleChat
        case .standard, .template, .teams, .mattermost: ReceiverAnswers()
        }
    }
}
