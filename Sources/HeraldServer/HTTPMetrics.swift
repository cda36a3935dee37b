import Foundation
import HeraldSupport

/// The server's metric names and how a finished request is counted.
struct HTTPMetrics: Sendable {
    static let requestsTotal = "herald_http_requests_total"
    static let requestSeconds = "herald_http_request_seconds"
    /// Label for responses whose handler gave no route (unknown paths, transport errors).
    static let otherRoute = "other"

    let registry: MetricsRegistry

    init(registry: MetricsRegistry) {
        self.registry = registry
        registry.describe(Self.requestsTotal, type: .counter,
                          help: "HTTP requests answered, by route pattern and status code.")
        registry.describe(Self.requestSeconds, type: .histogram,
                          help: "Seconds from request headers to queued response, by route pattern.")
    }

    /// Counts one answered request and its latency.
    func record(route: String?, status: Int, since start: DispatchTime) {
        let route = route ?? Self.otherRoute
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        registry.increment(Self.requestsTotal, [("route", route), ("status", String(status))])
        registry.observe(Self.requestSeconds, [("route", route)], value: seconds)
    }
}
