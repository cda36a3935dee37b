import Foundation

/// Builds the notices of one episode of one rule: turns a resolution (or the people
/// already told) into a `Notification` with its deterministic id, and records who was
/// told. Shared by value transitions, escalation timeouts and manual actions so every
/// notice of an episode is numbered and worded the same way.
struct EpisodeNotices {
    let rule: Rule
    let subjectID: String
    /// The event the notice carries (the one that caused it, or the episode's last).
    let event: MetricEvent
    /// When the notice happened: the event's time, the timer's or the person's.
    let time: Date
    let config: HeraldConfig
    var reason: NotificationReason = .value
    var actor: String?
    var escalationStep: Int?

    /// A notice to the people `resolution` found; they join the episode's `told`.
    /// `previous` is the tier an escalated notice climbed from.
    func tell(_ resolution: Resolution, _ transition: Transition, tier: Int, from previous: Int? = nil,
              _ state: inout RuleState) -> Notification {
        let directory = config.directory
        let recipients = resolution.recipients.map { r in
            NotifiedPerson(id: directory.users[r.user].id, name: directory.users[r.user].name,
                           path: r.path.render(in: directory, user: r.user), viaGroup: r.path.group.map { directory.groups[$0].id })
        }
        var excluded = resolution.excluded.map { e in
            ExcludedPerson(id: e.userID, name: e.user.map { directory.users[$0].name },
                           path: e.user.map { e.path.render(in: directory, user: $0) } ?? e.path.render(in: directory, user: 0),
                           reason: e.reason.description)
        }
        if resolution.excludedOmitted > 0 {
            excluded.append(ExcludedPerson(id: nil, name: nil, path: "(more)",
                                           reason: "\(resolution.excludedOmitted) more people excluded, not listed"))
        }
        var known = Set(state.told)
        for person in recipients where known.insert(person.id).inserted { state.told.append(person.id) }
        return notification(transition, tier: tier, from: previous, recipients: recipients, excluded: excluded, &state)
    }

    /// A notice to everyone told in the episode who can still be reached: people
    /// removed from the directory or made inactive since are listed as excluded. Nil
    /// when nobody was told.
    func toTold(_ transition: Transition, tier: Int, from previous: Int? = nil, _ state: inout RuleState) -> Notification? {
        guard !state.told.isEmpty else { return nil }
        let directory = config.directory
        var recipients: [NotifiedPerson] = []
        var excluded: [ExcludedPerson] = []
        let path = "notified earlier in episode \(state.episode)"
        for id in state.told {
            guard let u = directory.user(id) else {
                excluded.append(ExcludedPerson(id: id, name: nil, path: path, reason: "no longer in the directory"))
                continue
            }
            let user = directory.users[u]
            if user.active {
                recipients.append(NotifiedPerson(id: user.id, name: user.name, path: path))
            } else {
                excluded.append(ExcludedPerson(id: user.id, name: user.name, path: path, reason: ExclusionReason.inactive.description))
            }
        }
        return notification(transition, tier: tier, from: previous, recipients: recipients, excluded: excluded, &state)
    }

    private func notification(_ transition: Transition, tier: Int, from previous: Int?, recipients: [NotifiedPerson], excluded: [ExcludedPerson],
                              _ state: inout RuleState) -> Notification {
        var recipients = recipients
        let unrouted = recipients.isEmpty
        if unrouted { recipients = fallbackRecipients(&state) }
        state.notices += 1
        let episodeID = state.episodeID(for: RuleStateKey(ruleID: rule.id, subjectID: subjectID))
        // A reload may have removed the tier the state still names: report the top one.
        let tierRef = reference(min(tier, rule.tiers.count - 1))!
        return Notification(id: "\(episodeID)/\(state.notices)-\(transition.rawValue)-t\(tierRef.index)",
                            ruleID: rule.id, ruleName: rule.name, tier: tierRef, transition: transition,
                            episode: state.episode, episodeID: episodeID, event: event,
                            recipients: recipients, excluded: excluded, occurredAt: time, reason: reason, actor: actor,
                            escalationStep: escalationStep, unrouted: unrouted ? true : nil,
                            previousTier: previous.flatMap { reference(min($0, rule.tiers.count - 1)) })
    }

    /// The people of the `unrouted` fallback (rule's, else server's), who join the
    /// episode's `told` so they also hear how it ends; empty without a fallback.
    private func fallbackRecipients(_ state: inout RuleState) -> [NotifiedPerson] {
        guard let fallback = config.unrouted(for: rule) else { return [] }
        let directory = config.directory
        let resolution = config.resolver.resolve(fallback.notify, requiredRights: [], event: event)
        let people = resolution.recipients.map { r in
            NotifiedPerson(id: directory.users[r.user].id, name: directory.users[r.user].name,
                           path: "unrouted fallback: " + r.path.render(in: directory, user: r.user),
                           viaGroup: r.path.group.map { directory.groups[$0].id })
        }
        var known = Set(state.told)
        for person in people where known.insert(person.id).inserted { state.told.append(person.id) }
        return people
    }

    func reference(_ tier: Int?) -> TierReference? {
        guard let tier, tier >= 0, tier < rule.tiers.count else { return nil }
        return TierReference(index: tier, name: rule.tiers[tier].name, threshold: rule.tiers[tier].threshold)
    }
}

extension RuleState {
    /// The event a timer or a person's action reports: the episode's last event, or —
    /// for a state stored before events were kept — one rebuilt from what is known.
    func episodeEvent(_ key: RuleStateKey, rule: Rule) -> MetricEvent {
        if let lastEvent { return lastEvent }
        let threshold = tier.flatMap { $0 < rule.tiers.count ? rule.tiers[$0].threshold : nil } ?? 0
        return MetricEvent(metric: rule.metric, value: threshold, subject: .init(id: key.subjectID), timestamp: lastEventAt)
    }
}
