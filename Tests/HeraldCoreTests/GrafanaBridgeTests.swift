import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Grafana's webhook contact point body → events. The fixture is the example body of
/// Grafana's webhook notifier documentation, unchanged.
struct GrafanaBridgeTests {
    static let fixture = "Config/examples/grafana-webhook.json"

    static func bridge(_ configure: (inout GrafanaBridgeSettings) -> Void = { _ in }) -> GrafanaBridge {
        var settings = GrafanaBridgeSettings()
        configure(&settings)
        return GrafanaBridge(settings: settings, decoding: BridgeDecoding(eventID: AlertmanagerBridgeTests.identity))
    }

    static func body(values: String, annotations: String = "{}", status: String = "firing") -> Data {
        Data(#"{"receiver": "herald", "status": "firing", "orgId": 1, "state": "alerting", "title": "t", "message": "m", "groupKey": "{}:{}", "version": "1", "alerts": [{"status": "\#(status)", "labels": {"alertname": "CPU"}, "annotations": \#(annotations), "startsAt": "2026-11-23T09:00:00Z", "endsAt": "2026-11-23T09:05:00Z", "fingerprint": "f1", "values": \#(values), "valueString": "[ var='B' labels={} value=3 ]", "dashboardURL": "", "panelURL": "", "silenceURL": ""}]}"#.utf8)
    }

    @Test func theDocumentedBodyBecomesOneEventPerAlert() throws {
        let batch = try Self.bridge { $0.valueRef = "B" }.decode(try Fixtures.data(Self.fixture))
        #expect(batch.refused.isEmpty && batch.bridge == .grafana)
        try #require(batch.accepted.count == 2)
        let first = batch.accepted[0].event
        #expect(first.metric == "High memory usage")
        #expect(first.subject.id == "c6eadffa33fcdf37")
        #expect(first.value == 44.23943737541908, "values[valueRef]")
        #expect(first.timestamp == EventDecoder.parseTimestamp("2021-10-12T07:51:03.157076Z"), "the +02:00 offset is honoured")
        #expect(first.labels == ["alertname": "High memory usage", "team": "blue", "zone": "us-1"])
        #expect(first.id == "7:grafana|5:{}:{}|16:c6eadffa33fcdf37|6:firing|32:2021-10-12T09:51:03.157076+02:00")
        #expect(batch.accepted[1].event.subject.id == "bc97ff14869b13e3")
    }

    @Test func withoutValueRefSeveralValuesGiveTheConditions() throws {
        // B is the query, C the threshold condition (1 while firing).
        let batch = try Self.bridge().decode(try Fixtures.data(Self.fixture))
        #expect(batch.events.map(\.value) == [1, 1])
        let other = try Self.bridge { $0.conditionRef = "B" }.decode(try Fixtures.data(Self.fixture))
        #expect(other.events.map(\.value) == [44.23943737541908, 44.23943737541908])
    }

    /// The order a firing alert's value is looked for in, one case per step.
    static let values: [(String, String, @Sendable (inout GrafanaBridgeSettings) -> Void, Double)] = [
        // The only value, whatever its ref.
        (#"{"A": 3.5}"#, "{}", { _ in }, 3.5),
        // Several: the mapping's value annotation comes before the condition.
        (#"{"B": 70, "C": 1}"#, #"{"value": "70.5"}"#, { _ in }, 70.5),
        (#"{"B": 70, "C": 1}"#, "{}", { _ in }, 1),
        // Neither a value nor the condition: firingValue.
        (#"{"A": 70, "B": 0}"#, "{}", { $0.mapping.firingValue = 9 }, 9),
        (#"{}"#, "{}", { _ in }, 1),
        // The configured ref wins over everything.
        (#"{"A": 70, "C": 1}"#, #"{"value": "5"}"#, { $0.valueRef = "A" }, 70),
    ]

    @Test(arguments: values.indices)
    func theValueIsFoundInOrder(_ index: Int) throws {
        let (values, annotations, configure, expected) = Self.values[index]
        let batch = try Self.bridge(configure).decode(Self.body(values: values, annotations: annotations))
        #expect(batch.events.map(\.value) == [expected])
    }

    @Test func aMissingConfiguredRefIsRefused() throws {
        let batch = try Self.bridge { $0.valueRef = "D" }.decode(Self.body(values: #"{"B": 70, "C": 1}"#))
        #expect(batch.accepted.isEmpty)
        #expect(batch.refused == [BridgeRefusal(index: 0, fingerprint: "f1", reason: .missingField, path: "alerts[0].values.D",
                                                message: "'values' has no number for ref 'D' (the configured 'valueRef')")])
    }

    @Test func aResolvedAlertResolves() throws {
        let batch = try Self.bridge { $0.valueRef = "B" }.decode(Self.body(values: #"{"B": 70}"#, status: "resolved"))
        #expect(batch.events.map(\.value) == [0])
        #expect(batch.events.first?.timestamp == EventDecoder.parseTimestamp("2026-11-23T09:05:00Z"))
    }
}
