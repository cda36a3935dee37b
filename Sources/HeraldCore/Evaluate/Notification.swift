public import Foundation

/// What happened to a (rule, subject) that people must hear about.
public enum Transition: String, Sendable, Codable, CaseIterable {
    /// The value reached a tier from below all tiers: a new episode starts.
    case firing
    /// The value reached a higher tier.
    case escalated
    /// The value fell to a lower tier (only when the rule asks for it).
    case deescalated
    /// The value fell below every tier: the episode ends.
    case resolved
    /// The tier lasted `repeatAfter` since the last notice.
    case repeated
    /// Someone took the episode on; escalation timers stop.
    case acknowledged
}

/// What caused a notice: the metric's value, an escalation timer, or a person.
public enum NotificationReason: String, Sendable, Codable, CaseIterable {
    /// An event's value moved the tier (or kept it long enough to repeat).
    case value
    /// Nobody acknowledged before an escalation step fell due.
    case timeout
    /// A person acknowledged or resolved the episode by hand.
    case manual
}

/// A person a notification goes to, with the path that selected them.
public struct NotifiedPerson: Sendable, Equatable, Codable {
    public let id: String
    public let name: String
    public let path: String
    /// The group whose selector chose this person, if any: a group with a channel on a
    /// target gets one message there instead of one per member.
    public let viaGroup: String?

    public init(id: String, name: String, path: String, viaGroup: String? = nil) {
        self.id = id
        self.name = name
        self.path = path
        self.viaGroup = viaGroup
    }
}

/// A person a selector named who is not told, and why.
public struct ExcludedPerson: Sendable, Equatable, Codable {
    public let id: String?
    public let name: String?
    public let path: String
    public let reason: String
}

/// A tier as a notification reports it.
public struct TierReference: Sendable, Equatable, Codable {
    public let index: Int
    public let name: String
    public let threshold: Double
}

/// One notice: a rule's tier transition for one subject and everyone it goes to.
///
/// The id is derived from (rule, subject, episode, notice number, transition, tier), so
/// evaluating the same events again — a retry, a replay after a crash — yields the same
/// id, and delivery can de-duplicate on it.
public struct Notification: Sendable, Equatable, Codable {
    public let id: String
    public let ruleID: String
    public let ruleName: String
    /// The tier reached; for `resolved`, the tier that was left.
    public let tier: TierReference
    public let transition: Transition
    public let episode: Int
    /// Identifies the episode (rule, subject, number) across its notices.
    public let episodeID: String
    public let event: MetricEvent
    public let recipients: [NotifiedPerson]
    public let excluded: [ExcludedPerson]
    /// The event's timestamp, or when Herald received it; for timeouts and manual
    /// actions, when the timer fired or the person acted.
    public let occurredAt: Date
    /// Nil only in notices stored before reasons existed.
    public let reason: NotificationReason?
    /// Who acted, for manual notices (a user id, or `operator:<token>`).
    public let actor: String?
    /// For timeout notices: which firing of the tier's escalation chain this is,
    /// from 1, repeats counted (a 2-step chain repeated once fires 1, 2, 3, 4).
    public let escalationStep: Int?
    /// True when the notice's own audience resolved to nobody: `recipients` are then the
    /// `unrouted` fallback's people (or nobody, without one) and `excluded` says why the
    /// audience was empty. Nil for a normally routed notice.
    public var unrouted: Bool?
    /// The tier the episode stood at before this notice, for `escalated` and
    /// `deescalated` notices (`— escalated from 20%`); nil for every other notice.
    public var previousTier: TierReference?

    public var subject: MetricEvent.Subject { event.subject }

    /// `rule/subject/episode@start-ms`, with `/` and `%` escaped so distinct inputs never
    /// collide. The start time keeps ids unique even when the episode counter starts
    /// over (a rule removed and added back, a state row lost); replaying the same
    /// events still yields the same id.
    static func episodeID(rule: String, subject: String, episode: Int, startedAt: Date?) -> String {
        let start = startedAt.map { "@\(Int64(($0.timeIntervalSince1970 * 1000).rounded()))" } ?? ""
        return "\(escape(rule))/\(escape(subject))/\(episode)\(start)"
    }

    static func escape(_ part: String) -> String {
        part.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }
}
