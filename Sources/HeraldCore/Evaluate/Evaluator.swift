public import Foundation

/// The tier state machine: given the config, the current state, an event and the time,
/// decides the new state and the notifications. Pure: no I/O, `now` is an argument.
///
/// Per (rule, subject):
/// - none → tier k: `firing` to tier k's audience (cumulative: tiers ≤ k).
/// - tier j → higher k: `escalated` to tier k's audience (cumulative: every tier ≤ k
///   not yet told, minus people already told); a tier already told in this episode is
///   not told again.
/// - after a reload changed the rule's tiers (`RuleState.adoptLayout`): the next event is
///   judged from the tier the episode stood at; climbing into a tier not yet told sends
///   its notice as above, staying or falling is adopted silently (`rederived`).
/// - tier j → lower k: `deescalated` to everyone told, only if the rule asks.
/// - tier → none: `resolved` to everyone told in the episode, if the rule asks.
/// - same tier, `repeatAfter` since the last notice: `repeated` (not while acknowledged).
///
/// Time-based escalation and manual actions live in `Escalate/`: `tick` fires due
/// escalation timers, `acknowledge` / `unacknowledge` / `resolve` act on an episode by
/// hand. All of them, like `evaluate`, take the time as an argument and only change
/// the `EvaluationState` they are given.
public struct Evaluator: Sendable {
    public let config: HeraldConfig

    public init(config: HeraldConfig) { self.config = config }

    /// Functional form: returns the new state and what happened.
    public func evaluate(_ event: MetricEvent, state: EvaluationState, now: Date) -> (EvaluationState, EventOutcome) {
        var next = state
        let outcome = evaluate(event, state: &next, now: now)
        return (next, outcome)
    }

    /// Applies one event to `state` in place (cheap for large states).
    public func evaluate(_ event: MetricEvent, state: inout EvaluationState, now: Date) -> EventOutcome {
        if let id = event.id {
            if let seen = state.seenEvents[id], now.timeIntervalSince(seen) < config.server.idempotencyWindow.seconds {
                return EventOutcome(event: event, duplicate: true, rules: [])
            }
            state.seenEvents[id] = now
        }
        let time = event.timestamp ?? now
        var outcomes: [RuleOutcome] = []
        for rule in config.rules(matching: event) {
            let key = RuleStateKey(ruleID: rule.id, subjectID: event.subject.id)
            var ruleState = state.rules[key] ?? RuleState(tierSignature: rule.tierSignature)
            let outcome = RuleStep(rule: rule, event: event, time: time, config: config).apply(to: &ruleState)
            if outcome.status != .outOfOrder { state.rules[key] = ruleState }
            outcomes.append(outcome)
        }
        return EventOutcome(event: event, duplicate: false, rules: outcomes)
    }
}

/// One rule applied to one event: the transition table above, for a single state.
///
/// Escalation clock (see `EscalationClock`): firing arms the tier's chain; climbing to a
/// tier new in this episode clears any acknowledgement (its people have not seen the
/// episode) and re-arms; climbing back to a tier already reached re-arms unless
/// acknowledged; de-escalation disarms; resolving clears everything.
struct RuleStep {
    let rule: Rule
    let event: MetricEvent
    let time: Date
    let config: HeraldConfig

    private var notices: EpisodeNotices {
        EpisodeNotices(rule: rule, subjectID: event.subject.id, event: event, time: time, config: config)
    }

    func apply(to state: inout RuleState) -> RuleOutcome {
        let previous = state.tier
        if let last = state.lastEventAt, time < last {
            return outcome(.outOfOrder, previous: previous, state: nil, [])
        }
        state.lastEventAt = time
        let rederiving = state.adoptLayout(of: rule) != nil
        let next = TierMath.tier(event.value, current: state.tier, in: rule)
        if rederiving, let k = next, let j = state.tier, k <= j {
            // Thresholds changed under a running episode and the value sits at or below the
            // tier the episode stood at: adopt it silently (the reload itself is no news).
            // Climbing past it goes through the table below, so a tier whose audience has
            // not been told in this episode is told now.
            state.tier = k
            state.lastEvent = event
            return outcome(.rederived, previous: previous, state: state, [])
        }
        var notifications: [Notification] = []
        switch (state.tier, next) {
        case (nil, nil):
            break
        case (nil, let k?):
            startEpisode(&state)
            notifications += notifyTiers(rule.cumulative ? Array(0...k) : [k], at: k, .firing, &state)
            EscalationClock.arm(&state, tier: k, of: rule, at: time)
        case (let j?, let k?) where k > j:
            if !state.notifiedTiers.contains(k) { EscalationClock.clearAcknowledgement(&state) }
            let pending = (rule.cumulative ? Array(0...k) : [k]).filter { !state.notifiedTiers.contains($0) }
            notifications += notifyTiers(pending, at: k, .escalated, from: j, &state)
            EscalationClock.arm(&state, tier: k, of: rule, at: time)
        case (let j?, let k?) where k < j:
            state.tier = k
            if rule.notifyDeescalated { notifications += notices.toTold(.deescalated, tier: k, from: j, &state).map { [$0] } ?? [] }
            EscalationClock.disarm(&state, at: time)
        case (let j?, nil):
            if rule.notifyResolved { notifications += notices.toTold(.resolved, tier: j, &state).map { [$0] } ?? [] }
            EscalationClock.endEpisode(&state)
        case (let j?, _):
            // Someone has taken an acknowledged episode on: reminders would be noise.
            if !state.isAcknowledged, let repeatAfter = rule.repeatAfter, let last = state.lastNoticeAt,
               time.timeIntervalSince(last) >= repeatAfter.seconds {
                notifications += repeatNotice(tier: j, &state)
            }
        }
        state.tier = next
        state.lastEvent = next == nil ? nil : event
        let changed = previous != next || !notifications.isEmpty
        return outcome(changed ? .changed : (rederiving ? .rederived : .unchanged), previous: previous, state: state, notifications)
    }

    private func startEpisode(_ state: inout RuleState) {
        state.episode += 1
        state.episodeStartedAt = time
        state.notices = 0
        state.notifiedTiers = []
        state.told = []
        EscalationClock.clearAcknowledgement(&state)
    }

    /// Tells the audience of `tiers` (one notice, reported at tier `k`). For cumulative
    /// escalation people already told in this episode are left out.
    private func notifyTiers(_ tiers: [Int], at k: Int, _ transition: Transition, from previous: Int? = nil,
                             _ state: inout RuleState) -> [Notification] {
        state.tier = k
        guard !tiers.isEmpty else { return [] }
        var resolution = config.resolver.resolve(tiers.flatMap { rule.tiers[$0].notify }, requiredRights: rule.requiredRights, event: event)
        state.notifiedTiers = Array(Set(state.notifiedTiers).union(tiers)).sorted()
        if rule.cumulative, transition == .escalated {
            let told = Set(state.told)
            let before = resolution.recipients.count
            resolution.recipients.removeAll { told.contains(config.directory.users[$0.user].id) }
            // Everyone the new tiers name already knows: a notice to nobody is noise.
            if before > 0, resolution.recipients.isEmpty { return [] }
        }
        state.lastNoticeAt = time
        return [notices.tell(resolution, transition, tier: k, from: previous, &state)]
    }

    /// Repeats go only to audiences already told in this episode: after de-escalating
    /// to a tier that was skipped on the way up, its people never got a first notice.
    private func repeatNotice(tier j: Int, _ state: inout RuleState) -> [Notification] {
        let tiers = (rule.cumulative ? Array(0...j) : [j]).filter(state.notifiedTiers.contains)
        guard !tiers.isEmpty else { return [] }
        let resolution = config.resolver.resolve(tiers.flatMap { rule.tiers[$0].notify }, requiredRights: rule.requiredRights, event: event)
        state.lastNoticeAt = time
        return [notices.tell(resolution, .repeated, tier: j, &state)]
    }

    private func outcome(_ status: RuleOutcome.Status, previous: Int?, state: RuleState?, _ notifications: [Notification]) -> RuleOutcome {
        RuleOutcome(ruleID: rule.id, subjectID: event.subject.id, status: status, previousTier: notices.reference(previous),
                    tier: state.map { notices.reference($0.tier) } ?? notices.reference(previous), notifications: notifications, state: state)
    }
}
