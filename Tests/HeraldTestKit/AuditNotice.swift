public import Foundation
public import HeraldCore

/// One notice as the audit log holds it (the `payload` column: the notification JSON),
/// reduced to what a sequential replay must reproduce, plus what places it in the replay
/// (the event that caused it, when and by whom). Built the same way from a `Notification`
/// the replay's evaluator returns, so the two compare field by field.
public struct AuditNotice: Sendable, CustomStringConvertible {
    /// `episode/number-transition-tier`: carries the episode and the notice number.
    public let id: String
    public let ruleID: String
    public let subjectID: String
    public let transition: String
    public let tier: Int
    /// `value`, `timeout` or `manual`.
    public let reason: String
    /// For timeouts: which step of the chain fired (1-based, repeats counted).
    public let escalationStep: Int?
    /// For manual notices: the user id or `operator:<token>`.
    public let actor: String?
    public let episodeID: String
    /// The event the notice carries: the cause of a `value` notice.
    public let eventID: String?
    public let occurredAt: Date

    /// Reads an audit payload; throws naming the field that is missing.
    public init(payload: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: payload) as? [String: Any] else {
            throw HeraldProcessError(message: "audit payload is not a JSON object")
        }
        func field<T>(_ value: Any?, _ name: String) throws -> T {
            guard let typed = value as? T else { throw HeraldProcessError(message: "audit payload lacks '\(name)': \(root)") }
            return typed
        }
        let rule: [String: Any] = try field(root["rule"], "rule")
        let tier: [String: Any] = try field(root["tier"], "tier")
        let episode: [String: Any] = try field(root["episode"], "episode")
        let subject: [String: Any] = try field(root["subject"], "subject")
        let stamp: String = try field(root["occurredAt"], "occurredAt")
        id = try field(root["id"], "id")
        ruleID = try field(rule["id"], "rule.id")
        subjectID = try field(subject["id"], "subject.id")
        transition = try field(root["transition"], "transition")
        self.tier = try field(tier["index"], "tier.index")
        reason = root["reason"] as? String ?? "value"
        escalationStep = root["escalationStep"] as? Int
        actor = root["actor"] as? String
        episodeID = try field(episode["id"], "episode.id")
        eventID = (root["event"] as? [String: Any])?["id"] as? String
        occurredAt = try Date(stamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The same fields of a notice the replay's evaluator made.
    public init(_ n: HeraldCore.Notification) {
        id = n.id
        ruleID = n.ruleID
        subjectID = n.subject.id
        transition = n.transition.rawValue
        tier = n.tier.index
        reason = (n.reason ?? .value).rawValue
        escalationStep = n.escalationStep
        actor = n.actor
        episodeID = n.episodeID
        eventID = n.event.id
        occurredAt = n.occurredAt
    }

    /// What must be equal between the store and the replay: the id (episode and notice
    /// number), transition, tier, reason, step and actor. Not the time (the replay takes
    /// the store's) nor a timer's carried event (the episode's last, which a silent
    /// same-tier event may have replaced a moment earlier or later).
    public var description: String {
        "\(id) \(transition) t\(tier) \(reason)" + (escalationStep.map { " step \($0)" } ?? "") + (actor.map { " by \($0)" } ?? "")
    }
}
