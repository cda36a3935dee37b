public import Foundation

/// Identifies the tier state of one rule for one subject.
public struct RuleStateKey: Sendable, Hashable, Codable, Comparable {
    public let ruleID: String
    public let subjectID: String

    public init(ruleID: String, subjectID: String) {
        self.ruleID = ruleID
        self.subjectID = subjectID
    }

    public static func < (a: RuleStateKey, b: RuleStateKey) -> Bool { (a.ruleID, a.subjectID) < (b.ruleID, b.subjectID) }
}

/// Where one (rule, subject) stands: the current tier and what this episode told whom.
///
/// An episode runs from `firing` to `resolved`; its number only grows, so notification
/// ids of a later episode never repeat an earlier one's.
public struct RuleState: Sendable, Codable, Equatable {
    /// Index of the current tier; nil when the value is below every tier.
    public var tier: Int?
    /// Number of the current (or last) episode; 0 before the first firing.
    public var episode: Int = 0
    /// Time of the event that started the current (or last) episode.
    public var episodeStartedAt: Date?
    /// Notices sent in this episode; makes each notice id unique within it.
    public var notices: Int = 0
    /// Timestamp of the last event applied; older events do not move the state.
    public var lastEventAt: Date?
    /// When the last firing/escalated/repeated notice went out (for `repeatAfter`).
    public var lastNoticeAt: Date?
    /// Tiers whose audience has been told in this episode.
    public var notifiedTiers: [Int] = []
    /// User ids told in this episode, in the order first told.
    public var told: [String] = []
    /// The rule's tier layout when this state was written (see `Rule.tierSignature`).
    public var tierSignature: String

    // Acknowledgement and time-based escalation. All optional so states stored before
    // these existed still decode (as "not acknowledged, no timer").

    /// Who acknowledged the current episode (a user id, or `operator:<token>`).
    public var acknowledgedBy: String?
    public var acknowledgedAt: Date?
    /// When the episode reached its current tier; the escalation clock starts here.
    public var tierEnteredAt: Date?
    /// Escalation steps of the current tier's chain already fired (repeats counted), so
    /// the next to fire is `chain.step(escalationStep)`.
    public var escalationStep: Int?
    /// When the next escalation step fires; nil when no timer runs (no chain,
    /// acknowledged, exhausted, or no episode).
    public var escalationDueAt: Date?
    /// The last event applied in the current episode: timeouts, acknowledgements and
    /// manual resolves carry it (and resolve relations from it) like value notices do.
    public var lastEvent: MetricEvent?

    /// How many times this state's row has been stored (0: never). Not part of the
    /// state's JSON: the store keeps it beside the row and refuses a write based on an
    /// older revision, so a process that shares the store with others (issue #20) never
    /// builds on a state another changed. The evaluator leaves it as it finds it.
    public var revision: Int64 = 0

    public init(tierSignature: String) { self.tierSignature = tierSignature }

    private enum CodingKeys: String, CodingKey {
        case tier, episode, episodeStartedAt, notices, lastEventAt, lastNoticeAt, notifiedTiers, told, tierSignature
        case acknowledgedBy, acknowledgedAt, tierEnteredAt, escalationStep, escalationDueAt, lastEvent
    }

    /// Whether someone has acknowledged the current episode.
    public var isAcknowledged: Bool { acknowledgedBy != nil }

    /// The id notifications of the current (or last) episode carry.
    public func episodeID(for key: RuleStateKey) -> String {
        Notification.episodeID(rule: key.ruleID, subject: key.subjectID, episode: episode, startedAt: episodeStartedAt)
    }
}

/// All evaluation state: tier state per (rule, subject) and recently seen event ids.
public struct EvaluationState: Sendable, Equatable, Codable {
    /// Held compactly and decoded on use (see `RuleStates`).
    public var rules = RuleStates()
    /// Event id → when it was first accepted; duplicates inside the window are ignored.
    public var seenEvents: [String: Date] = [:]

    public init(rules: [RuleStateKey: RuleState] = [:], seenEvents: [String: Date] = [:]) {
        self.init(rules: RuleStates(rules), seenEvents: seenEvents)
    }

    public init(rules: RuleStates, seenEvents: [String: Date] = [:]) {
        self.rules = rules
        self.seenEvents = seenEvents
    }

    /// Forgets event ids first seen before `cutoff` (outside the idempotency window).
    public mutating func pruneSeenEvents(before cutoff: Date) {
        seenEvents = seenEvents.filter { $0.value >= cutoff }
    }

    /// Forgets ids first seen before `cutoff`, and then, while more than `limit` remain,
    /// the oldest of them too. Returns the cutoff actually applied (later than `cutoff`
    /// when the limit cut the window short), so the store can forget the same ids, and
    /// how many ids inside the window the limit removed. Ids seen at the very same instant
    /// as the last one kept are all kept.
    public mutating func pruneSeenEvents(before cutoff: Date, keepingAtMost limit: Int) -> (cutoff: Date, forgottenEarly: Int) {
        pruneSeenEvents(before: cutoff)
        guard seenEvents.count > limit, limit > 0 else { return (cutoff, 0) }
        // Sorting runs only when over the limit (at most once per prune interval).
        let withinWindow = seenEvents.count
        let newestFirst = seenEvents.values.sorted(by: >)
        let applied = max(cutoff, newestFirst[limit - 1])
        pruneSeenEvents(before: applied)
        return (applied, withinWindow - seenEvents.count)
    }

    /// The earliest pending escalation timer, so the daemon can sleep until then
    /// instead of polling (nil when no timer runs).
    public var nextEscalationDue: Date? { rules.nextEscalationDue }

    /// The state whose *current* episode is `episodeID` (ended or not), found by
    /// parsing the id rather than scanning; nil for an earlier or unknown episode.
    public func key(forEpisode episodeID: String) -> RuleStateKey? {
        guard let parts = EpisodeIDParts(episodeID), let state = rules[parts.key], state.episode > 0,
              state.episodeID(for: parts.key) == episodeID else { return nil }
        return parts.key
    }

    /// Drops the states with nothing going on — no tier, no escalation timer — whose last
    /// event came before `cutoff`. Without this, memory and rows grow with every
    /// (rule, subject) pair ever seen. Ids stay unique: a subject seen again starts a new
    /// episode whose id carries its start time, so it cannot repeat an old one; an event
    /// older than the forgotten last one is then taken as new rather than out of order.
    public mutating func dropIdleRules(lastEventBefore cutoff: Date) -> [RuleStateKey] {
        rules.removeIdle(lastEventBefore: cutoff)
    }

    /// Drops the state of rules the config no longer has (after a reload).
    public mutating func dropRules(notIn ruleIDs: Set<String>) -> [RuleStateKey] {
        rules.removeRules(notIn: ruleIDs)
    }

    private struct Entry: Codable {
        let rule: String
        let subject: String
        let state: RuleState
    }

    private enum CodingKeys: String, CodingKey { case rules, seenEvents }

    /// Encoded as `{"rules": [{"rule", "subject", "state"}], "seenEvents": {id: date}}`
    /// so the file `herald explain --state` reads is easy to write by hand.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let entries = try container.decodeIfPresent([Entry].self, forKey: .rules) ?? []
        rules = RuleStates(Dictionary(entries.map { (RuleStateKey(ruleID: $0.rule, subjectID: $0.subject), $0.state) },
                                      uniquingKeysWith: { _, b in b }))
        seenEvents = try container.decodeIfPresent([String: Date].self, forKey: .seenEvents) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rules.keys.sorted().map { Entry(rule: $0.ruleID, subject: $0.subjectID, state: rules[$0]!) }, forKey: .rules)
        try container.encode(seenEvents, forKey: .seenEvents)
    }
}
