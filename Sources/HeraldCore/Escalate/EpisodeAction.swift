import Foundation

/// Who acts on an episode by hand.
public enum EpisodeActor: Sendable, Equatable, CustomStringConvertible {
    /// A person, by user id: allowed if the episode notified them or they hold one of
    /// the rule's `acknowledgeRights` (and are an active user).
    case user(String)
    /// An operator using an admin-scoped API token (the server checked the scope), by
    /// token id: always allowed.
    case `operator`(String)

    /// How the state and notices record the actor: the user id, or `operator:<token>`.
    public var description: String {
        switch self {
        case .user(let id): id
        case .operator(let token): "operator:\(token)"
        }
    }
}

/// Why an acknowledge, unacknowledge or resolve was refused.
public struct AckError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// No state holds this episode (never existed, or its rule was removed).
        case unknownEpisode = "unknown_episode"
        /// The episode is over (resolved, or a later episode has started).
        case episodeEnded = "episode_ended"
        /// The user was not notified in the episode and holds none of the rule's rights.
        case notAllowed = "not_allowed"
        /// Someone else has acknowledged already.
        case alreadyAcknowledged = "already_acknowledged"
        /// Unacknowledge of an episode nobody acknowledged.
        case notAcknowledged = "not_acknowledged"
    }

    /// Stable code: the API's error code and the metric label.
    public let code: Code
    public let message: String

    public var description: String { message }
}

/// What a manual action did: the state it changed (persist it under `key`) and the
/// notices it sends.
public struct EpisodeActionOutcome: Sendable, Equatable {
    public let key: RuleStateKey
    public let state: RuleState
    public let notifications: [Notification]
}

/// The parts of an episode id (`rule/subject/number@start-ms`, see
/// `Notification.episodeID`), so an id finds its state without a scan.
struct EpisodeIDParts: Equatable {
    let key: RuleStateKey
    let number: Int

    init?(_ id: String) {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, let rule = String(parts[0]).removingPercentEncoding,
              let subject = String(parts[1]).removingPercentEncoding,
              let number = Int(parts[2].prefix { $0 != "@" }) else { return nil }
        key = RuleStateKey(ruleID: rule, subjectID: subject)
        self.number = number
    }
}

extension RuleStateKey {
    /// The (rule, subject) an episode id names, or nil when it is not an episode id: lets
    /// a process that shares its store read that state before acting on the episode.
    public init?(episodeID: String) {
        guard let parts = EpisodeIDParts(episodeID) else { return nil }
        self = parts.key
    }
}
