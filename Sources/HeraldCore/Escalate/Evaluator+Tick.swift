public import Foundation

/// What one `tick` did: the timeout notices and the states it changed (the daemon
/// persists exactly these with the notices, in one transaction).
public struct TickOutcome: Sendable, Equatable {
    public let notifications: [Notification]
    /// Keys of the rule states the tick changed, sorted.
    public let changed: [RuleStateKey]
}

extension Evaluator {
    /// Fires every escalation timer due at `now` whose episode nobody acknowledged:
    /// `escalated` with reason `timeout` to the step's audience, then the next step's
    /// timer (or the chain's repeat, or nothing once exhausted).
    ///
    /// Each due timer fires **once per tick**, however late the tick is: the next step
    /// is timed from `now`, not from when the missed step fell due. So after Herald was
    /// down for an hour, a 15-minute step fires once on start and the chain carries on
    /// at its own pace, instead of a burst of every step missed (people would get
    /// several pages in the same second, and a repeated chain could fire dozens).
    public func tick(state: inout EvaluationState, now: Date) -> TickOutcome {
        // The timers are kept beside the states: finding the due ones decodes none.
        let due = state.rules.keys(dueAt: now)
        var notifications: [Notification] = []
        for key in due {
            guard var ruleState = state.rules[key] else { continue }
            notifications += fireEscalation(key, &ruleState, now: now)
            state.rules[key] = ruleState
        }
        return TickOutcome(notifications: notifications, changed: due)
    }

    /// Fires the next step of the current tier's chain, or — when the chain no longer
    /// applies (rule removed or changed by a reload, episode acknowledged or over) —
    /// quietly drops the timer.
    func fireEscalation(_ key: RuleStateKey, _ state: inout RuleState, now: Date) -> [Notification] {
        let fired = state.escalationStep ?? 0
        guard let rule = config.rule(id: key.ruleID), let tier = state.tier, tier < rule.tiers.count,
              !state.isAcknowledged, let chain = rule.tiers[tier].escalation, let step = chain.step(fired) else {
            state.escalationDueAt = nil
            return []
        }
        let event = state.episodeEvent(key, rule: rule)
        let notices = EpisodeNotices(rule: rule, subjectID: key.subjectID, event: event, time: now, config: config,
                                     reason: .timeout, escalationStep: fired + 1)
        let resolution = config.resolver.resolve(selectors(for: step.audience, in: rule), requiredRights: rule.requiredRights, event: event)
        let notification = notices.tell(resolution, .escalated, tier: tier, &state)
        state.escalationStep = fired + 1
        state.escalationDueAt = chain.step(fired + 1).map { now.addingTimeInterval($0.after.seconds) }
        return [notification]
    }

    /// The selectors a step names, directly or through another tier of the rule.
    func selectors(for audience: EscalationChain.Audience, in rule: Rule) -> [RecipientSelector] {
        switch audience {
        case .selectors(let selectors): selectors
        case .tier(let name): rule.tierIndex(named: name).map { rule.tiers[$0].notify } ?? []
        }
    }
}
