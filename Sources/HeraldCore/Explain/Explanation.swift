public import Foundation

/// What a run of events would do, step by step: for `herald explain` and
/// `POST /v1/explain`. Built by running the real evaluator on a copy of the state, so
/// the explanation cannot drift from what the daemon does.
///
/// Beyond the transitions it shows, per notice, which silence would suppress it and
/// whose delivery quiet hours would hold (and until when), and, for an episode whose
/// tier has an escalation chain, the timeout notices the chain would send if nobody
/// acknowledged and no further event came — computed by running `tick` on a copy at
/// each due time, never applied to the explained state.
public struct Explanation: Sendable {
    /// One event and what it caused.
    public struct Step: Sendable {
        public let index: Int
        public let outcome: EventOutcome
        /// Rules whose metric matched but whose label filter did not.
        public let labelMismatches: [String]
        /// Silence and quiet-hour holds per notification id (this step's notices and
        /// the forecast ones).
        public let holds: [String: NoticeHolds]
        /// Escalation timeouts that would follow if nobody acknowledged, per rule state.
        public let forecasts: [EscalationForecast]
    }

    /// Why a notice would not reach (some of) its people at once.
    public struct NoticeHolds: Sendable, Equatable {
        /// The silence that would suppress the whole notice.
        public let silence: Silence?
        /// Recipients in quiet hours at the notice's time, with when those end.
        public let quiet: [QuietHold]
    }

    /// The timeout notices an unacknowledged episode would get, in order.
    public struct EscalationForecast: Sendable, Equatable {
        public let key: RuleStateKey
        public let notifications: [Notification]
        /// Further firings the chain would make beyond `maxForecastFirings`.
        public let more: Int
    }

    /// Most forecast firings shown per episode: a chain may fire up to
    /// `EscalationChain.maxSteps × (maxRepeat + 1)` times, which is no read for a person.
    public static let maxForecastFirings = 25

    public let steps: [Step]
    public let finalState: EvaluationState
    /// Running episodes of the given state whose rule's tiers the config changed: each is
    /// judged from the tier it stood at (see `RuleState.adoptLayout`).
    public var rederivations: [Rederivation] = []
    /// Events ignored because they were older than the last applied one.
    public var outOfOrderCount: Int { steps.reduce(0) { $0 + $1.outcome.rules.filter { $0.status == .outOfOrder }.count } }

    /// Evaluates `events` in order from `state`; events without a timestamp use `now`.
    public static func run(_ events: [MetricEvent], config: HeraldConfig, state: EvaluationState = EvaluationState(), now: Date,
                           silences: SilenceSet = SilenceSet()) -> Explanation {
        let evaluator = Evaluator(config: config)
        var current = state
        var steps: [Step] = []
        for (index, event) in events.enumerated() {
            let outcome = evaluator.evaluate(event, state: &current, now: now)
            let mismatches = config.rules.filter { $0.metric == event.metric && !$0.matches(event) }.map(\.id)
            let forecasts = outcome.rules.compactMap { rule -> EscalationForecast? in
                let key = RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID)
                return rule.state == nil ? nil : forecast(key, in: current, evaluator: evaluator)
            }
            var holds: [String: NoticeHolds] = [:]
            for notification in outcome.notifications + forecasts.flatMap(\.notifications) {
                holds[notification.id] = NoticeHolds(
                    silence: silences.first(matching: notification, at: notification.occurredAt),
                    quiet: DeliveryPlanner.quietHolds(for: notification, config: config, at: notification.occurredAt))
            }
            steps.append(Step(index: index, outcome: outcome, labelMismatches: mismatches, holds: holds, forecasts: forecasts))
        }
        return Explanation(steps: steps, finalState: current, rederivations: state.rederivations(under: config))
    }

    /// Runs the state's escalation timer forward on a copy, firing each step at its
    /// due time, as the daemon's ticks would if nobody acknowledged.
    static func forecast(_ key: RuleStateKey, in state: EvaluationState, evaluator: Evaluator) -> EscalationForecast? {
        guard var ruleState = state.rules[key], ruleState.escalationDueAt != nil else { return nil }
        var notifications: [Notification] = []
        var more = 0
        while let due = ruleState.escalationDueAt {
            if notifications.count == maxForecastFirings {
                let fired = ruleState.escalationStep ?? 0
                let total = ruleState.tier.flatMap { evaluator.config.rule(id: key.ruleID)?.tiers[$0].escalation?.totalFirings } ?? fired
                more = max(0, total - fired)
                break
            }
            notifications += evaluator.fireEscalation(key, &ruleState, now: due)
        }
        return EscalationForecast(key: key, notifications: notifications, more: more)
    }
}
