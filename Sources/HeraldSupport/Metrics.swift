import Foundation

/// A process-wide registry of counters, gauges and histograms rendered in the
/// Prometheus text exposition format (version 0.0.4).
///
/// Adapters (store, delivery, server) count through this registry so they never need
/// to import each other. All methods are thread-safe; a lock guards the maps because
/// updates are a handful of nanoseconds and come from HTTP, evaluation and curl threads.
public final class MetricsRegistry: @unchecked Sendable {
    /// Label set as ordered key/value pairs (order is part of identity, keep it stable).
    public typealias Labels = [(String, String)]

    private struct Family {
        let help: String
        let type: String
        var series: [String: Series] = [:]   // key: rendered label set
    }

    private enum Series {
        case value(Double)
        case histogram(Histogram)
    }

    private struct Histogram {
        let bounds: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]
    private var order: [String] = []

    public init() {}

    /// Declares a metric so it appears (with HELP/TYPE) even before its first update.
    public func describe(_ name: String, type: MetricType, help: String) {
        lock.withLock { _ = family(name, type: type.rawValue, help: help) }
    }

    /// Adds `amount` to a counter.
    public func increment(_ name: String, _ labels: Labels = [], by amount: Double = 1, help: String = "") {
        update(name, type: "counter", help: help, labels: labels) { old in old + amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ labels: Labels = [], to value: Double, help: String = "") {
        update(name, type: "gauge", help: help, labels: labels) { _ in value }
    }

    /// Records one observation in a histogram with the given bucket upper bounds.
    public func observe(_ name: String, _ labels: Labels = [], value: Double,
                        buckets: [Double] = MetricsRegistry.latencyBuckets, help: String = "") {
        let key = MetricsRegistry.render(labels)
        lock.withLock {
            _ = family(name, type: "histogram", help: help)
            var histogram: Histogram
            if case .histogram(let existing)? = families[name]!.series[key] {
                histogram = existing
            } else {
                histogram = Histogram(bounds: buckets, counts: Array(repeating: 0, count: buckets.count))
            }
            for (index, bound) in histogram.bounds.enumerated() where value <= bound {
                histogram.counts[index] += 1
            }
            histogram.sum += value
            histogram.count += 1
            families[name]!.series[key] = .histogram(histogram)
        }
    }

    /// Current value of a counter or gauge (nil if never set); used by tests and STATUS=.
    public func value(_ name: String, _ labels: Labels = []) -> Double? {
        lock.withLock {
            if case .value(let v)? = families[name]?.series[MetricsRegistry.render(labels)] { return v }
            return nil
        }
    }

    /// Seconds buckets from 100 µs to 10 s, for request, commit and delivery latency.
    public static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The whole registry in Prometheus text format.
    public func exposition() -> String {
        lock.withLock {
            var out = ""
            for name in order {
                guard let family = families[name] else { continue }
                if !family.help.isEmpty { out += "# HELP \(name) \(family.help)\n" }
                out += "# TYPE \(name) \(family.type)\n"
                for key in family.series.keys.sorted() {
                    switch family.series[key]! {
                    case .value(let v):
                        out += "\(name)\(key.isEmpty ? "" : "{\(key)}") \(MetricsRegistry.number(v))\n"
                    case .histogram(let h):
                        let prefix = key.isEmpty ? "" : key + ","
                        for (bound, count) in zip(h.bounds, h.counts) {
                            out += "\(name)_bucket{\(prefix)le=\"\(MetricsRegistry.number(bound))\"} \(count)\n"
                        }
                        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(h.count)\n"
                        out += "\(name)_sum\(key.isEmpty ? "" : "{\(key)}") \(MetricsRegistry.number(h.sum))\n"
                        out += "\(name)_count\(key.isEmpty ? "" : "{\(key)}") \(h.count)\n"
                    }
                }
            }
            return out
        }
    }

    // MARK: - Internals (call with the lock held)

    private func family(_ name: String, type: String, help: String) -> Family {
        if let existing = families[name] { return existing }
        let created = Family(help: help, type: type)
        families[name] = created
        order.append(name)
        return created
    }

    private func update(_ name: String, type: String, help: String, labels: Labels, _ change: (Double) -> Double) {
        let key = MetricsRegistry.render(labels)
        lock.withLock {
            _ = family(name, type: type, help: help)
            var current = 0.0
            if case .value(let v)? = families[name]!.series[key] { current = v }
            families[name]!.series[key] = .value(change(current))
        }
    }

    static func render(_ labels: Labels) -> String {
        labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Prometheus metric types used by Herald.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}
