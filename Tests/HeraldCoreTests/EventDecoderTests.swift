import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// The events contract (DESIGN.md): one event or a batch, all-or-nothing, every
/// problem named by its path.
struct EventDecoderTests {
    func problems(_ json: String, decoder: EventDecoder = EventDecoder()) -> [String] {
        do {
            _ = try decoder.decode(Data(json.utf8))
            return []
        } catch {
            return error.problems.map { "\($0.path): \($0.message)" }
        }
    }

    @Test func decodesOneEventWithEveryField() throws {
        let json = #"{"id": "e1", "metric": "m", "value": -12.5, "subject": {"id": "p", "type": "participant", "name": "Pat"},"# +
            #" "timestamp": "2026-11-23T10:15:00.250Z", "relations": {"primary_coordinator": "u-1"}, "labels": {"site": "north"}}"#
        let events = try EventDecoder().decode(Data(json.utf8))
        #expect(events == [MetricEvent(id: "e1", metric: "m", value: -12.5, subject: .init(id: "p", type: "participant", name: "Pat"),
                                       timestamp: Date(timeIntervalSince1970: 1_795_428_900.25),
                                       relations: ["primary_coordinator": "u-1"], labels: ["site": "north"])])
    }

    @Test func batchProblemsNameTheEventAndField() {
        let json = #"{"events": [{"metric": "m", "value": 1, "subject": {"id": "p"}}, {"metric": "m", "value": "NaN", "subject": {"id": ""}, "extra": 1}]}"#
        #expect(problems(json) == [
            "events[1].value: expected a number, found string",
            "events[1].subject.id: 'id' must not be empty",
            "events[1].extra: unknown key 'extra'",
        ])
    }

    @Test func malformedJSONAndOversizedBatchesAreTheirOwnKinds() throws {
        #expect(throws: EventValidationError.self) { try EventDecoder().decode(Data("{".utf8)) }
        do {
            _ = try EventDecoder().decode(Data("{\"metric\": ".utf8))
        } catch {
            #expect(error.kind == .malformed)
        }
        let three = #"{"events": [1, 2, 3]}"#
        do {
            _ = try EventDecoder(maxBatch: 2).decode(Data(three.utf8))
            Issue.record("a batch over the limit was accepted")
        } catch {
            #expect(error.kind == .tooMany)
            #expect(error.problems.first?.message == "batch of 3 events exceeds the limit of 2")
        }
    }

    @Test func timestampsMustBeRFC3339AndNotFarInTheFuture() {
        let now = Date(timeIntervalSince1970: 1_795_428_900)   // 2026-11-23T10:15:00Z
        let decoder = EventDecoder(now: now)
        #expect(problems(#"{"metric": "m", "value": 1, "subject": {"id": "p"}, "timestamp": "yesterday"}"#, decoder: decoder) ==
                ["timestamp: 'yesterday' is not an RFC 3339 timestamp like 2026-11-23T10:15:00Z"])
        #expect(problems(#"{"metric": "m", "value": 1, "subject": {"id": "p"}, "timestamp": "2026-11-23T10:19:00Z"}"#, decoder: decoder).isEmpty)
        #expect(problems(#"{"metric": "m", "value": 1, "subject": {"id": "p"}, "timestamp": "2026-11-23T11:15:00Z"}"#, decoder: decoder) ==
                ["timestamp: '2026-11-23T11:15:00Z' is more than 5 minutes in the future; check the sender's clock"])
    }

    @Test func stringsAndMapsAreBounded() {
        let long = String(repeating: "x", count: EventDecoder.maxStringLength + 1)
        #expect(problems(#"{"metric": "\#(long)", "value": 1, "subject": {"id": "p"}}"#) == ["metric: 'metric' is longer than 512 bytes"])
        let labels = (0...EventDecoder.maxMapEntries).map { "\"k\($0)\": \"v\"" }.joined(separator: ", ")
        #expect(problems(#"{"metric": "m", "value": 1, "subject": {"id": "p"}, "labels": {\#(labels)}}"#) ==
                ["labels: 'labels' has 65 entries; at most 64 are allowed"])
    }
}
