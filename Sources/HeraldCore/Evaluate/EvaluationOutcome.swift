/// What evaluating one event did, for the pipeline, the audit log and `explain`.
public struct EventOutcome: Sendable, Equatable {
    public let event: MetricEvent
    /// The event id was seen inside the idempotency window: nothing changed.
    public let duplicate: Bool
    public let rules: [RuleOutcome]

    public var notifications: [Notification] { rules.flatMap(\.notifications) }
}

/// What one matching rule did with the event.
public struct RuleOutcome: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        /// The tier changed or a notice was due.
        case changed
        /// Same tier, nothing due.
        case unchanged
        /// Older than the last event applied to this (rule, subject): ignored.
        case outOfOrder
        /// The rule's tiers changed in a reload; the tier was re-derived without a notice.
        case rederived
    }

    public let ruleID: String
    public let subjectID: String
    public let status: Status
    public let previousTier: TierReference?
    public let tier: TierReference?
    public let notifications: [Notification]
    /// The state after the event, or nil if the state was not touched.
    public let state: RuleState?
}
