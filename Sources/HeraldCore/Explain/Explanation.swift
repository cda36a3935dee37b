public import Foundation

/// What a run of events would do, step by step: for `herald explain` and
/// `POST /v1/explain`. Built by running the real evaluator on a copy of the state, so
/// the explanation cannot drift from what the daemon does.
public struct Explanation: Sendable {
    /// One event and what it caused.
    public struct Step: Sendable {
        public let index: Int
        public let outcome: EventOutcome
        /// Rules whose metric matched but whose label filter did not.
        public let labelMismatches: [String]
    }

    public let steps: [Step]
    public let finalState: EvaluationState
    /// Events ignored because they were older than the last applied one.
    public var outOfOrderCount: Int { steps.reduce(0) { $0 + $1.outcome.rules.filter { $0.status == .outOfOrder }.count } }

    /// Evaluates `events` in order from `state`; events without a timestamp use `now`.
    public static func run(_ events: [MetricEvent], config: HeraldConfig, state: EvaluationState = EvaluationState(), now: Date) -> Explanation {
        let evaluator = Evaluator(config: config)
        var current = state
        var steps: [Step] = []
        for (index, event) in events.enumerated() {
            let outcome = evaluator.evaluate(event, state: &current, now: now)
            let mismatches = config.rules.filter { $0.metric == event.metric && !$0.matches(event) }.map(\.id)
            steps.append(Step(index: index, outcome: outcome, labelMismatches: mismatches))
        }
        return Explanation(steps: steps, finalState: current)
    }
}
