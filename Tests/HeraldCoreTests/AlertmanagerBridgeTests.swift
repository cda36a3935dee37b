import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Alertmanager webhook bodies → events: the mapping, the idempotency key, and every
/// refusal with its exact message. The fixture follows Alertmanager's webhook format
/// (version "4", docs/configuration.md `<webhook_config>`).
struct AlertmanagerBridgeTests {
    /// The key material itself, so tests can read what the id is made of.
    static let identity: @Sendable (String) -> String = { $0 }
    static let fixture = "Config/examples/alertmanager-webhook.json"

    static func bridge(_ configure: (inout AlertmanagerBridgeSettings) -> Void = { _ in }, now: Date? = nil) -> AlertmanagerBridge {
        var settings = AlertmanagerBridgeSettings()
        configure(&settings)
        return AlertmanagerBridge(settings: settings, decoding: BridgeDecoding(maxAlerts: 10, now: now, eventID: identity))
    }

    /// A body with the given alerts (JSON texts).
    static func body(_ alerts: [String], groupKey: String = "{}:{alertname=\"HighLoad\"}") -> Data {
        Data(#"{"version": "4", "groupKey": "\#(groupKey.replacingOccurrences(of: "\"", with: "\\\""))", "status": "firing", "receiver": "herald", "groupLabels": {"alertname": "HighLoad"}, "alerts": [\#(alerts.joined(separator: ","))]}"#.utf8)
    }

    static func alert(status: String = "firing", labels: String = #"{"alertname": "HighLoad", "instance": "node-1:9100"}"#,
                      annotations: String = #"{"value": "0.93"}"#, startsAt: String = "2026-11-23T09:00:00Z",
                      endsAt: String = "0001-01-01T00:00:00Z", fingerprint: String? = "a1b2c3d4e5f60708") -> String {
        let print = fingerprint.map { #", "fingerprint": "\#($0)""# } ?? ""
        return #"{"status": "\#(status)", "labels": \#(labels), "annotations": \#(annotations), "startsAt": "\#(startsAt)", "endsAt": "\#(endsAt)"\#(print)}"#
    }

    static func time(_ text: String) -> Date { EventDecoder.parseTimestamp(text)! }

    @Test func theDocumentedBodyBecomesOneEventPerAlert() throws {
        let batch = try Self.bridge().decode(try Fixtures.data(Self.fixture))
        #expect(batch.refused.isEmpty)
        try #require(batch.accepted.count == 2)
        let firing = batch.accepted[0]
        #expect(firing.index == 0 && firing.status == .firing && firing.fingerprint == "5b8f2e7a1c3d9e04")
        #expect(firing.event.metric == "UtilisationVariance")
        #expect(firing.event.subject == MetricEvent.Subject(id: "5b8f2e7a1c3d9e04"), "the fingerprint is the default subject")
        #expect(firing.event.value == 24.5, "the value annotation, parsed")
        #expect(firing.event.timestamp == Self.time("2026-11-23T09:00:00Z"), "a firing alert happens at startsAt")
        #expect(firing.event.labels == ["alertname": "UtilisationVariance", "team": "care", "participant": "p-1", "coordinator": "u-chloe"])
        #expect(firing.event.relations.isEmpty, "no relations unless configured")
        let resolved = batch.accepted[1]
        #expect(resolved.status == .resolved)
        #expect(resolved.event.value == 0, "a resolved alert gets resolvedValue, not its last firing value (12)")
        #expect(resolved.event.timestamp == Self.time("2026-11-23T08:55:00Z"), "a resolved alert happens at endsAt")
    }

    @Test func theExampleMappingNamesSubjectAndRelationByLabel() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/bridges.json"))
        let bridge = AlertmanagerBridge(settings: config.bridges.alertmanager, decoding: BridgeDecoding(eventID: Self.identity))
        let events = try bridge.decode(try Fixtures.data(Self.fixture)).events
        #expect(events.map(\.subject.id) == ["p-1", "p-2"])
        #expect(events.map(\.relations) == [["primary_coordinator": "u-chloe"], ["primary_coordinator": "u-sam"]])
    }

    @Test func theEventIDIsMadeOfGroupKeyFingerprintStatusAndStart() throws {
        let batch = try Self.bridge().decode(Self.body([Self.alert()], groupKey: "{}:{alertname=\"HighLoad\"}"))
        #expect(batch.events.first?.id == #"12:alertmanager|25:{}:{alertname="HighLoad"}|16:a1b2c3d4e5f60708|6:firing|20:2026-11-23T09:00:00Z"#)
        // A re-send, or the HA peer's copy, has the same id; any field changed, another.
        let again = try Self.bridge().decode(Self.body([Self.alert(annotations: #"{"value": "0.99"}"#)], groupKey: "{}:{alertname=\"HighLoad\"}"))
        #expect(again.events.first?.id == batch.events.first?.id)
        let variants = [
            Self.body([Self.alert(status: "resolved", endsAt: "2026-11-23T09:10:00Z")], groupKey: "{}:{alertname=\"HighLoad\"}"),
            Self.body([Self.alert(startsAt: "2026-11-23T09:30:00Z")], groupKey: "{}:{alertname=\"HighLoad\"}"),
            Self.body([Self.alert(fingerprint: "ffffffffffffffff")], groupKey: "{}:{alertname=\"HighLoad\"}"),
            Self.body([Self.alert()], groupKey: "{}:{alertname=\"Other\"}"),
        ]
        let ids = try variants.map { try Self.bridge().decode($0).events.first?.id }
        #expect(Set(ids + [batch.events.first?.id]).count == 5)
    }

    @Test func withoutAFingerprintTheLabelSetIdentifiesTheAlert() throws {
        let batch = try Self.bridge { $0.mapping.subjectID = .label("instance") }
            .decode(Self.body([Self.alert(fingerprint: nil)]))
        #expect(batch.events.first?.id == "12:alertmanager|25:{}:{alertname=\"HighLoad\"}|39:alertname=HighLoad\ninstance=node-1:9100|6:firing|20:2026-11-23T09:00:00Z")
        #expect(batch.events.first?.subject.id == "node-1:9100")
    }

    @Test func aFiringAlertWithoutAValueGetsFiringValue() throws {
        let plain = try Self.bridge().decode(Self.body([Self.alert(annotations: "{}")]))
        #expect(plain.events.first?.value == 1)
        let configured = try Self.bridge { $0.mapping.firingValue = 25 }.decode(Self.body([Self.alert(annotations: #"{"value": ""}"#)]))
        #expect(configured.events.first?.value == 25, "an empty annotation is no value")
        let fromLabel = try Self.bridge { $0.mapping.value = .label("load") }
            .decode(Self.body([Self.alert(labels: #"{"alertname": "HighLoad", "load": " 1.5e1 "}"#)]))
        #expect(fromLabel.events.first?.value == 15)
        let resolved = try Self.bridge { $0.mapping.resolvedValue = -5 }
            .decode(Self.body([Self.alert(status: "resolved", endsAt: "2026-11-23T09:10:00Z")]))
        #expect(resolved.events.first?.value == -5)
    }

    @Test func subjectNameTypeAndRelationsComeFromTheNamedFields() throws {
        let batch = try Self.bridge {
            $0.mapping.subjectID = .label("participant")
            $0.mapping.subjectName = .annotation("participant_name")
            $0.mapping.subjectType = .label("kind")
            $0.mapping.relations = ["primary_coordinator": .label("coordinator"), "owner": .annotation("owner")]
        }.decode(Self.body([Self.alert(labels: #"{"alertname": "HighLoad", "participant": "p-9", "kind": "participant", "coordinator": "u-7"}"#,
                                       annotations: #"{"participant_name": "Pat Nine"}"#)]))
        let event = try #require(batch.events.first)
        #expect(event.subject == MetricEvent.Subject(id: "p-9", type: "participant", name: "Pat Nine"))
        #expect(event.relations == ["primary_coordinator": "u-7"], "an absent relation is left out, not refused")
    }

    @Test func aBadAlertIsRefusedAndTheGoodOnesAreKept() throws {
        let batch = try Self.bridge().decode(Self.body([Self.alert(), Self.alert(labels: #"{"instance": "x"}"#), Self.alert(fingerprint: "0000000000000001")]))
        #expect(batch.accepted.map(\.index) == [0, 2])
        #expect(batch.refused == [BridgeRefusal(index: 1, fingerprint: "a1b2c3d4e5f60708", reason: .missingField,
                                                path: "alerts[1].labels.alertname",
                                                message: "label 'alertname' is missing (it names the metric)")])
    }

    /// One alert per refusal rule, with its reason, place and exact message.
    static let refusals: [(String, BridgeRefusal.Reason, String, String)] = [
        (#""just text""#, .notAnObject, "alerts[0]", "expected an alert object, found string"),
        (#"{"labels": {"alertname": "A"}, "startsAt": "2026-11-23T09:00:00Z", "fingerprint": "f"}"#, .badStatus, "alerts[0].status", "missing required key 'status'"),
        (alert(status: "pending"), .badStatus, "alerts[0].status", "'status' is 'pending'; expected 'firing' or 'resolved'"),
        (#"{"status": 1}"#, .badStatus, "alerts[0].status", "'status' is a number; expected 'firing' or 'resolved'"),
        (#"{"status": "firing", "startsAt": "2026-11-23T09:00:00Z"}"#, .missingField, "alerts[0].labels", "missing required object 'labels'"),
        (alert(labels: #"{"instance": "x"}"#), .missingField, "alerts[0].labels.alertname", "label 'alertname' is missing (it names the metric)"),
        (alert(fingerprint: nil), .missingField, "alerts[0].fingerprint", "'fingerprint' is missing (it is the subject id unless 'subject.id' names a label)"),
        (alert(annotations: #"{"value": "high"}"#), .badValue, "alerts[0].annotations.value", "annotation 'value' is 'high', not a finite number"),
        (alert(annotations: #"{"value": "NaN"}"#), .badValue, "alerts[0].annotations.value", "annotation 'value' is 'NaN', not a finite number"),
        (#"{"status": "firing", "labels": {"alertname": "A"}, "fingerprint": "f"}"#, .missingField, "alerts[0].startsAt", "missing required key 'startsAt'"),
        (alert(startsAt: "yesterday"), .badTimestamp, "alerts[0].startsAt", "'yesterday' is not an RFC 3339 timestamp"),
        (alert(status: "resolved", endsAt: "soon"), .badTimestamp, "alerts[0].endsAt", "'soon' is not an RFC 3339 timestamp"),
        (alert(startsAt: "2099-01-01T00:00:00Z"), .badTimestamp, "alerts[0].startsAt", "'2099-01-01T00:00:00Z' is more than 5 minutes in the future; check the sender's clock"),
        (alert(labels: "{" + (0..<70).map { #""l\#($0)": "v""# }.joined(separator: ",") + #", "alertname": "A"}"#), .tooLarge, "alerts[0].labels",
         "the event would have 71 labels; at most 64 are allowed"),
        (alert(startsAt: "0001-01-01T00:00:00Z"), .badTimestamp, "alerts[0].startsAt", "'0001-01-01T00:00:00Z' is not a start time"),
        (alert(labels: #"{"alertname": "A", "long": "\#(String(repeating: "x", count: 513))"}"#), .tooLarge, "alerts[0].labels",
         "a name or value in labels is longer than 512 bytes"),
        (alert(labels: #"{"alertname": "\#(String(repeating: "x", count: 513))"}"#), .tooLarge, "alerts[0]",
         "the metric or subject is longer than 512 bytes"),
    ]

    @Test(arguments: refusals.indices)
    func eachRefusalHasItsReasonPlaceAndMessage(_ index: Int) throws {
        let (alert, reason, path, message) = Self.refusals[index]
        let batch = try Self.bridge(now: Self.time("2026-11-23T10:00:00Z")).decode(Self.body([alert]))
        #expect(batch.accepted.isEmpty)
        let refusal = try #require(batch.refused.first)
        #expect(refusal.reason == reason)
        #expect(refusal.path == path)
        #expect(refusal.message == message)
        #expect(refusal.description == "\(path): \(message)")
    }

    @Test func withUnknownMetricsRejectedAnAlertNoRuleKnowsIsRefused() throws {
        var bridge = Self.bridge()
        bridge.decoding.isKnownMetric = { $0 == "Known" }
        let batch = try bridge.decode(Self.body([Self.alert(), Self.alert(labels: #"{"alertname": "Known"}"#, fingerprint: "f2")]))
        #expect(batch.accepted.map(\.event.metric) == ["Known"])
        #expect(batch.refused.map(\.reason) == [.unknownMetric])
        #expect(batch.refused.map(\.description) == [#"alerts[0].labels.alertname: no rule knows metric 'HighLoad' (server.unknownMetrics is "reject")"#])
    }

    @Test func aSubjectLabelThatIsMissingIsRefused() throws {
        let batch = try Self.bridge { $0.mapping.subjectID = .label("participant") }.decode(Self.body([Self.alert()]))
        #expect(batch.refused.map(\.description) == ["alerts[0].labels.participant: label 'participant' is missing (it is the subject id)"])
    }

    /// A body that is not an Alertmanager envelope refuses the whole request.
    static let envelopes: [(String, EventValidationError.Kind, String, String)] = [
        ("{not json", .malformed, "(body)", ""),
        ("[]", .invalid, "(root)", "expected an object with 'alerts', found array"),
        (#"{"status": "firing"}"#, .invalid, "alerts", "missing required key 'alerts'"),
        (#"{"alerts": {}}"#, .invalid, "alerts", "expected an array, found object"),
        (#"{"alerts": [], "alerts": []}"#, .invalid, "alerts", "key appears twice in the same object; send it once"),
        (#"{"alerts": [\#(Array(repeating: "{}", count: 11).joined(separator: ","))]}"#, .tooMany, "alerts", "11 alerts exceed the limit of 10"),
    ]

    @Test(arguments: envelopes.indices)
    func aBodyThatIsNoEnvelopeIsRefusedWhole(_ index: Int) {
        let (body, kind, path, message) = Self.envelopes[index]
        #expect(throws: EventValidationError.self) { try Self.bridge().decode(Data(body.utf8)) }
        do {
            _ = try Self.bridge().decode(Data(body.utf8))
        } catch {
            #expect(error.kind == kind)
            #expect(error.problems.first?.path == path)
            if !message.isEmpty { #expect(error.problems.first?.message == message) }
        }
    }

    @Test func anEmptyGroupIsNoEvents() throws {
        let batch = try Self.bridge().decode(Data(#"{"alerts": []}"#.utf8))
        #expect(batch.accepted.isEmpty && batch.refused.isEmpty && batch.bridge == .alertmanager)
    }
}
