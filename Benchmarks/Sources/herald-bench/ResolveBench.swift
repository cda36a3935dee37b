import Foundation
import HeraldCore

/// Recipient resolution over a loaded config: typical tiers (relations + small groups),
/// top tiers (owner, nested groups, "manager and above", one 10,000-member group), and
/// the worst case the targets name: a 10,000-member group filtered by a right.
struct ResolveBench {
    let config: HeraldConfig
    let budget: Double
    let maxIterations: Int

    /// An event naming two coordinators, as the generator's rules expect.
    static func event(users: Int, index: Int) -> MetricEvent {
        let coordinator = { (k: Int) in "u\(((k * 10) + 3) % max(10, users - users % 10))" }
        return MetricEvent(id: "evt-\(index)", metric: "metric_\(index % 25)", value: 15,
                           subject: .init(id: "p-\(index)", type: "participant"),
                           relations: ["primary_coordinator": coordinator(index * 7), "case_manager": coordinator(index * 13 + 1)],
                           labels: ["region": index % 2 == 0 ? "north" : "south"])
    }

    func run(into table: inout FigureTable) {
        let users = config.directory.users.count
        let events = (0..<64).map { ResolveBench.event(users: users, index: $0) }
        let typical = config.rules.flatMap { rule in rule.tiers.prefix(2).map { (rule, $0) } }
        measure("typical tier (relation + 20-member group)", typical, events, users, &table)
        let top = config.rules.compactMap { rule in rule.tiers.last.map { (rule, $0) } }
        measure("top tier (owner, nested, some managers+, one 10k)", top, events, users, &table)
        bigGroup(users, &table)
    }

    private func measure(_ name: String, _ tiers: [(Rule, Tier)], _ events: [MetricEvent], _ users: Int, _ table: inout FigureTable) {
        var recipients = 0
        let rate = Measure.rate(maxIterations: maxIterations, budget: budget) { i in
            let (rule, tier) = tiers[i % tiers.count]
            let resolution = config.resolver.resolve(tier.notify, requiredRights: rule.requiredRights, event: events[i % events.count])
            recipients += resolution.recipients.count
        }
        Sink.shared.consume(recipients)
        table.add("resolve", name, rate.perSecond, "res/s", users: users,
                  note: String(format: "%.1f µs, %.0f recipients avg", rate.microsecondsEach, Double(recipients) / Double(max(1, rate.operations))))
    }

    /// `group: g0` (min(10,000, users) members) with `participants.view` required.
    private func bigGroup(_ users: Int, _ table: inout FigureTable) {
        guard let g0 = config.directory.group("g0") else { return }
        let members = config.directory.members(ofGroup: g0).count
        var told = 0
        let samples = Measure.samples(maxIterations: maxIterations / 10, budget: budget) {
            let resolution = config.resolver.resolve([.group("g0")], requiredRights: ["participants.view"], event: nil)
            told = resolution.recipients.count
        }
        Sink.shared.consume(told)
        let name = "\(members)-member group + rights filter"
        table.add("resolve", name + " p50", samples.quantile(0.5), "µs", users: users, note: "\(told) pass the filter, \(samples.count) runs")
        table.add("resolve", name + " p99", samples.quantile(0.99), "µs", users: users)
    }
}
