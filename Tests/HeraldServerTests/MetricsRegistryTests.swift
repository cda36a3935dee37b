import Testing
import HeraldSupport

/// The registry's exposition is what Prometheus scrapes: label escaping, counter sums
/// and cumulative histogram buckets must come out exactly right.
struct MetricsRegistryTests {
    @Test func countersAddUpPerLabelSetAndEscapeLabelValues() {
        let registry = MetricsRegistry()
        registry.describe("jobs_total", type: .counter, help: "Jobs.")
        registry.increment("jobs_total", [("queue", "a")])
        registry.increment("jobs_total", [("queue", "a")], by: 2)
        registry.increment("jobs_total", [("queue", #"say "hi"\now"#)])
        registry.increment("jobs_total", [("queue", "line\nbreak")])
        #expect(registry.value("jobs_total", [("queue", "a")]) == 3)
        #expect(registry.value("jobs_total", [("queue", "b")]) == nil)
        let text = registry.exposition()
        #expect(text.contains("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\n"))
        #expect(text.contains("jobs_total{queue=\"a\"} 3\n"))
        #expect(text.contains(#"jobs_total{queue="say \"hi\"\\now"} 1"# + "\n"))
        #expect(text.contains(#"jobs_total{queue="line\nbreak"} 1"# + "\n"))
    }

    @Test func histogramBucketsAreCumulativeAndAccumulateAcrossObservations() {
        let registry = MetricsRegistry()
        for value in [0.5, 1.5, 1.5, 7.0] {
            registry.observe("wait_seconds", [("route", "/x")], value: value, buckets: [1, 2, 5])
        }
        let text = registry.exposition()
        #expect(text.contains("wait_seconds_bucket{route=\"/x\",le=\"1\"} 1\n"))
        #expect(text.contains("wait_seconds_bucket{route=\"/x\",le=\"2\"} 3\n"))
        #expect(text.contains("wait_seconds_bucket{route=\"/x\",le=\"5\"} 3\n"))
        #expect(text.contains("wait_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"))
        #expect(text.contains("wait_seconds_sum{route=\"/x\"} 10.5\n"))
        #expect(text.contains("wait_seconds_count{route=\"/x\"} 4\n"))
        // A histogram has no single value.
        #expect(registry.value("wait_seconds", [("route", "/x")]) == nil)
    }

    @Test func gaugesKeepTheLastValueAndUnlabelledSeriesHaveNoBraces() {
        let registry = MetricsRegistry()
        registry.set("depth", to: 7)
        registry.set("depth", to: 2)
        #expect(registry.value("depth") == 2)
        #expect(registry.exposition().contains("# TYPE depth gauge\ndepth 2\n"))
    }
}
