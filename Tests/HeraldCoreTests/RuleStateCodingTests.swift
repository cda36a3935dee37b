import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// The daemon stores rule states and notices as JSON: the new fields must round-trip,
/// and JSON written before they existed must still decode.
@Suite struct RuleStateCodingTests {
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()
    private let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    @Test func stateWithEscalationFieldsRoundTrips() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        driver.tick(at: 15)
        _ = driver.acknowledge(.user("bob"), at: 16)
        let state = try #require(driver.ruleState())
        #expect(state.acknowledgedBy == "bob")
        #expect(state.tierEnteredAt != nil && state.escalationStep == 1 && state.lastEvent != nil)
        #expect(try decoder.decode(RuleState.self, from: encoder.encode(state)) == state)
        #expect(try decoder.decode(EvaluationState.self, from: encoder.encode(driver.state)) == driver.state)
    }

    /// A state row as the daemon wrote it before acknowledgement existed.
    @Test func stateWithoutTheNewFieldsStillDecodes() throws {
        let old = #"{"tier": 0, "episode": 1, "episodeStartedAt": 1800000000000, "notices": 1, "lastEventAt": 1800000000000, "lastNoticeAt": 1800000000000, "notifiedTiers": [0], "told": ["alice"], "tierSignature": "above:warn=10,critical=30"}"#
        let state = try decoder.decode(RuleState.self, from: Data(old.utf8))
        #expect(state.tier == 0 && state.told == ["alice"])
        #expect(!state.isAcknowledged)
        #expect(state.escalationDueAt == nil && state.escalationStep == nil && state.tierEnteredAt == nil && state.lastEvent == nil)

        // Such a state has no timer, but people can still act on its episode; the notice
        // carries an event rebuilt from the rule and subject.
        let key = RuleStateKey(ruleID: "r", subjectID: "p-1")
        var driver = EvaluatorDriver(try EscalationConfig.load(), state: EvaluationState(rules: [key: state]))
        #expect(driver.tick(at: 100).notifications.isEmpty)
        let ack = try #require(driver.acknowledge(.user("alice"), at: 101).value)
        #expect(ack.notifications.first?.event.subject.id == "p-1")
        #expect(ack.notifications.first?.event.metric == "utilisation_variance")
        #expect(ack.notifications.first?.id == "r/p-1/1@1800000000000/2-acknowledged-t0")
    }

    /// Notices stored before reasons existed decode with no reason; new ones keep theirs.
    @Test func notificationReasonIsOptional() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        let firing = try #require(driver.send(12, at: 0).notifications.first)
        let data = try encoder.encode(firing)
        #expect(try decoder.decode(HeraldNotification.self, from: data) == firing)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["reason"] as? String == "value")
        object["reason"] = nil
        let old = try decoder.decode(HeraldNotification.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.reason == nil)
        #expect(NotificationJSON.object(old)["reason"] == nil)
        #expect(NotificationJSON.object(firing)["reason"] as? String == "value")
        #expect(NotificationJSON.object(firing)["actor"] == nil)
    }
}
