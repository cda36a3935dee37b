import Foundation
import Testing
import HeraldTestKit

/// #17 item 3: events for a metric no rule knows are never silent — counted in the
/// 202 summary and in `herald_events_unmatched_total{metric}` (bounded label set), or
/// refused with 422 naming the metric under `server.unknownMetrics: "reject"`.
@Suite(.serialized)
struct ApiUnmatchedTests {
    typealias F = ApiFixture

    static func unknown(_ metric: String) -> String {
        #"{"metric": "\#(metric)", "value": 1, "subject": {"id": "s"}}"#
    }

    @Test func acceptedUnknownMetricsAreReportedAndCounted() throws {
        let herald = try F.start()
        let response = try F.postEvents(herald, F.batch([F.event(value: 12), Self.unknown("cpu_typo"), Self.unknown("cpu_typo")]))
        #expect(response.status == 202)
        #expect(response.json as NSDictionary == ["accepted": 3, "duplicates": 0, "notifications": 1, "unmatched": 2] as NSDictionary)
        let metrics = try F.metrics(herald)
        #expect(metrics[#"herald_events_unmatched_total{metric="cpu_typo"}"#] == 2)
        #expect(metrics[#"herald_events_accepted_total"#] == 3)
        #expect(herald.stop() == 0)
    }

    /// The first 100 metric names get a label each; later ones count as `other`.
    @Test func theLabelSetIsBounded() throws {
        let herald = try F.start()
        let events = (0..<103).map { Self.unknown("m-\($0)") }
        #expect(try F.postEvents(herald, F.batch(events)).json["unmatched"] as? Int == 103)
        let series = try F.metrics(herald).filter { $0.key.hasPrefix("herald_events_unmatched_total{") }
        #expect(series.count == 101)
        #expect(series[#"herald_events_unmatched_total{metric="m-0"}"#] == 1)
        #expect(series[#"herald_events_unmatched_total{metric="m-99"}"#] == 1)
        #expect(series[#"herald_events_unmatched_total{metric="other"}"#] == 3)
        #expect(herald.stop() == 0)
    }

    @Test func rejectModeRefusesTheRequestNamingTheMetric() throws {
        let herald = try F.start(server: ["unknownMetrics": "reject"])
        let response = try F.postEvents(herald, F.batch([F.event(value: 12), Self.unknown("cpu_typo")]))
        let details = ApiErrorTests.expectError(response, 422, "invalid_event")
        #expect(ApiErrorTests.paths(details) == ["events[1].metric"])
        #expect(details.first?["message"] as? String == #"no rule knows metric 'cpu_typo' (server.unknownMetrics is "reject")"#)
        #expect(try F.audit(herald).isEmpty, "nothing of the batch was accepted")
        #expect(try F.postEvents(herald, F.event(value: 12)).status == 202)
        #expect(herald.stop() == 0)
    }
}
