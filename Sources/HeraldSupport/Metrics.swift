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

    /// One time series. A class, so an update changes it in place under the lock: a
    /// struct copied out of the dictionary and written back made every histogram
    /// observation copy its bucket array (HTTP requests observe one each).
    private final class Series {
        var value: Double = 0
        var histogram: Histogram?

        init() {}
    }

    private struct Histogram {
        let bounds: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func record(_ value: Double) {
            for index in bounds.indices where value <= bounds[index] { counts[index] += 1 }
            sum += value
            count += 1
        }
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
            let series = series(name, key, type: "histogram", help: help)
            if series.histogram == nil {
                series.histogram = Histogram(bounds: buckets, counts: Array(repeating: 0, count: buckets.count))
            }
            series.histogram!.record(value)
        }
    }

    /// Current value of a counter or gauge (nil if never set); used by tests and STATUS=.
    public func value(_ name: String, _ labels: Labels = []) -> Double? {
        lock.withLock {
            guard let series = families[name]?.series[MetricsRegistry.render(labels)], series.histogram == nil else { return nil }
            return series.value
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
                    let series = family.series[key]!
                    switch series.histogram {
                    case nil:
                        out += "\(name)\(key.isEmpty ? "" : "{\(key)}") \(MetricsRegistry.number(series.value))\n"
                    case let h?:
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

    /// The series `key` of family `name`, created (with its family) on first use.
    private func series(_ name: String, _ key: String, type: String, help: String) -> Series {
        if let existing = families[name]?.series[key] { return existing }
        _ = family(name, type: type, help: help)
        let created = Series()
        families[name]!.series[key] = created
        return created
    }

    private func update(_ name: String, type: String, help: String, labels: Labels, _ change: (Double) -> Double) {
        let key = MetricsRegistry.render(labels)
        lock.withLock {
            let series = series(name, key, type: type, help: help)
            series.value = change(series.value)
        }
    }

    /// `a="x",b="y"`: the series key and its exposition form. Built by appending, since
    /// it runs on every update (a map + join + interpolation was measurable per request).
    static func render(_ labels: Labels) -> String {
        var out = ""
        for (index, (name, value)) in labels.enumerated() {
            if index > 0 { out += "," }
            out += name
            out += "=\""
            out += escape(value)
            out += "\""
        }
        return out
    }

    static func escape(_ value: String) -> String {
        // Label values almost never need escaping: skip three searches when none applies.
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        return value.replacingOccurrences(of: "\\", with: "\\\\")
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
