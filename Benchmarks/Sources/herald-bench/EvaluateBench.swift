import Foundation
import HeraldCore

/// The evaluator (rule match, tier state machine, resolution and notification
/// building) on the ingest path's event shape, with event ids (idempotency) as the
/// daemon sees them.
struct EvaluateBench {
    let config: HeraldConfig
    let budget: Double
    let maxIterations: Int
    /// Distinct subjects the events rotate over (state entries kept in memory). A
    /// multiple of the generator's 25 metrics, so a subject always has the same metric.
    static let subjects = 10_000

    func run(into table: inout FigureTable) {
        let users = config.directory.users.count
        // Quiet: values below every tier, the common case for a monitoring feed.
        measure("quiet events (no tier reached)", users, &table) { _ in 5 }
        // Busy: each subject alternates 15 / 5 from one round to the next, so every
        // event fires or resolves each rule it matches.
        measure("every event fires or resolves", users, &table) { i in (i / EvaluateBench.subjects) % 2 == 0 ? 15 : 5 }
    }

    private func measure(_ name: String, _ users: Int, _ table: inout FigureTable, value: (Int) -> Double) {
        let evaluator = Evaluator(config: config)
        let templates = (0..<50).map { ResolveBench.event(users: users, index: $0) }
        let subjects = (0..<EvaluateBench.subjects).map { MetricEvent.Subject(id: "p-\($0)", type: "participant") }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var state = EvaluationState()
        var notifications = 0
        let rate = Measure.rate(maxIterations: maxIterations, budget: budget) { i in
            let base = templates[i % templates.count]
            let now = start.addingTimeInterval(Double(i) / 1000)
            let event = MetricEvent(id: "e\(i)", metric: base.metric, value: value(i), subject: subjects[i % subjects.count],
                                    timestamp: now, relations: base.relations, labels: base.labels)
            notifications += evaluator.evaluate(event, state: &state, now: now).notifications.count
        }
        Sink.shared.consume(notifications)
        table.add("evaluate", name, rate.perSecond, "events/s", users: users,
                  note: String(format: "%.1f µs, %.2f notifications/event", rate.microsecondsEach,
                               Double(notifications) / Double(max(1, rate.operations))))
    }
}
