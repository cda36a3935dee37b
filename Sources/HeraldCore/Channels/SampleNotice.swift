public import Foundation

/// The notice `herald send-test` sends: the first rule that may use the target, its
/// least severe tier just crossed, for a sample subject, to one person. Its episode id
/// starts with `send-test/`, so a receiver that de-duplicates (PagerDuty) never merges
/// it with a real episode.
public enum SampleNotice {
    /// Why no sample could be made.
    public struct Problem: Error, Sendable, Equatable {
        public let message: String
    }

    public static func notification(target: String, user: String?, config: HeraldConfig, at now: Date) -> Result<Notification, Problem> {
        guard let definition = config.targets.first(where: { $0.id == target }) else {
            return .failure(Problem(message: "no target '\(target)'\(Suggestion.hint(for: target, in: config.targets.map(\.id)))"))
        }
        guard let rule = config.rules.first(where: { $0.targets.isEmpty || $0.targets.contains(target) }) ?? config.rules.first else {
            return .failure(Problem(message: "the config has no rule to make a sample notice from"))
        }
        guard let person = recipient(user, format: definition.format, config: config) else {
            return .failure(Problem(message: user.map { "no user '\($0)'" } ?? "the config has no active user"))
        }
        let tier = rule.tiers[0]
        let value = rule.direction == .below ? tier.threshold - 1 : tier.threshold + 1
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let event = MetricEvent(id: "send-test-\(millis)", metric: rule.metric, value: value,
                                subject: .init(id: "send-test", type: "test", name: "Herald send-test"), timestamp: now)
        return .success(Notification(
            id: "send-test/\(target)/\(millis)", ruleID: rule.id, ruleName: rule.name,
            tier: TierReference(index: 0, name: tier.name, threshold: tier.threshold), transition: .firing, episode: 1,
            episodeID: "send-test/\(target)/\(millis)", event: event, recipients: [person], excluded: [], occurredAt: now,
            reason: .value, actor: nil, escalationStep: nil))
    }

    /// The named user, else the first active user with this format's contact field,
    /// else the first active user.
    static func recipient(_ id: String?, format: ChannelFormat, config: HeraldConfig) -> NotifiedPerson? {
        let users = config.directory.users
        let chosen: Directory.User?
        if let id {
            chosen = config.directory.user(id).map { users[$0] }
        } else {
            let active = users.filter(\.active)
            chosen = active.first { u in format.contactField.map { u.contact.handles[$0] != nil } ?? false } ?? active.first
        }
        return chosen.map { NotifiedPerson(id: $0.id, name: $0.name, path: "send-test") }
    }
}
