import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Remembered event ids are bounded: past `server.maxRememberedEventIds` the oldest go,
/// even inside the idempotency window.
struct SeenEventLimitTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func state(_ count: Int) -> EvaluationState {
        EvaluationState(seenEvents: Dictionary(uniqueKeysWithValues: (0..<count).map { ("e\($0)", t0.addingTimeInterval(Double($0))) }))
    }

    @Test func theOldestIdsGoWhenMoreThanTheLimitAreInsideTheWindow() {
        var state = Self.state(10)
        let pruned = state.pruneSeenEvents(before: Self.t0, keepingAtMost: 4)
        #expect(pruned.cutoff == Self.t0.addingTimeInterval(6))
        #expect(pruned.forgottenEarly == 6)
        #expect(Set(state.seenEvents.keys) == ["e6", "e7", "e8", "e9"])
    }

    @Test func theWindowAloneDecidesWhileUnderTheLimit() {
        var state = Self.state(10)
        let cutoff = Self.t0.addingTimeInterval(7)
        let pruned = state.pruneSeenEvents(before: cutoff, keepingAtMost: 4)
        #expect(pruned.cutoff == cutoff && pruned.forgottenEarly == 0)
        #expect(Set(state.seenEvents.keys) == ["e7", "e8", "e9"])
    }

    @Test func idsSeenAtTheSameInstantAsTheLastKeptStay() {
        var state = EvaluationState(seenEvents: ["a": Self.t0, "b": Self.t0.addingTimeInterval(1), "c": Self.t0.addingTimeInterval(1)])
        _ = state.pruneSeenEvents(before: Self.t0, keepingAtMost: 1)
        #expect(Set(state.seenEvents.keys) == ["b", "c"])
    }

    @Test func theLimitIsReadFromTheConfigWithItsDefault() throws {
        #expect(ServerSettings().maxRememberedEventIds == 2_000_000)
        let config = try TestConfig.load("{\"users\": \(TestConfig.ownerOnlyUsers), \"server\": {\"maxRememberedEventIds\": 5000}}")
        #expect(config.server.maxRememberedEventIds == 5000)
    }
}

/// Idle rule states go; anything with a tier or a running timer stays, however old.
struct IdleRuleStateTests {
    @Test func onlyStatesWithNothingGoingOnAndAnOldLastEventAreDropped() {
        let old = Date(timeIntervalSince1970: 1_000)
        let cutoff = Date(timeIntervalSince1970: 2_000)
        func state(tier: Int? = nil, due: Date? = nil, last: Date?) -> RuleState {
            var state = RuleState(tierSignature: "above:t=1")
            state.tier = tier
            state.escalationDueAt = due
            state.lastEventAt = last
            return state
        }
        var evaluation = EvaluationState(rules: [
            RuleStateKey(ruleID: "r", subjectID: "idle-old"): state(last: old),
            RuleStateKey(ruleID: "r", subjectID: "idle-recent"): state(last: cutoff.addingTimeInterval(1)),
            RuleStateKey(ruleID: "r", subjectID: "in-tier"): state(tier: 0, last: old),
            RuleStateKey(ruleID: "r", subjectID: "timer"): state(due: old, last: old),
        ])
        #expect(evaluation.dropIdleRules(lastEventBefore: cutoff) == [RuleStateKey(ruleID: "r", subjectID: "idle-old")])
        #expect(Set(evaluation.rules.keys.map(\.subjectID)) == ["idle-recent", "in-tier", "timer"])
    }
}
