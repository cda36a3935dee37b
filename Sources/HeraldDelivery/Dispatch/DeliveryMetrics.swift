import Foundation
import HeraldSupport

/// The dispatcher's metric names in one place, so dashboards and code agree.
struct DeliveryMetrics: Sendable {
    static let deliveries = "herald_deliveries_total"
    static let attempts = "herald_delivery_attempts_total"
    static let inflight = "herald_delivery_inflight"
    static let seconds = "herald_delivery_seconds"
    static let rejected = "herald_delivery_rejected_total"

    let registry: MetricsRegistry

    init(registry: MetricsRegistry) {
        self.registry = registry
        registry.describe(Self.deliveries, type: .counter, help: "Webhook attempts by target and outcome.")
        registry.describe(Self.attempts, type: .counter, help: "Webhook attempts started, by target.")
        registry.describe(Self.inflight, type: .gauge, help: "Webhook transfers in flight, by target.")
        registry.describe(Self.seconds, type: .histogram, help: "Webhook transfer duration in seconds.")
        registry.describe(Self.rejected, type: .counter, help: "Jobs refused because the target's queue was full.")
    }

    func attemptStarted(target: String) { registry.increment(Self.attempts, [("target", target)]) }
    func inflight(target: String, count: Int) { registry.set(Self.inflight, [("target", target)], to: Double(count)) }
    func rejected(target: String) { registry.increment(Self.rejected, [("target", target)]) }

    func finished(target: String, outcome: DeliveryOutcome, duration: TimeInterval) {
        registry.increment(Self.deliveries, [("target", target), ("outcome", outcome.label)])
        registry.observe(Self.seconds, value: duration)
    }
}
