import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Time-based escalation driven by `Evaluator.tick` with an injected clock: when steps
/// fire, to whom, how the chain repeats, and how value changes move the clock.
@Suite struct EscalationTimerTests {
    /// Nobody acknowledges: the first step fires at exactly 15m, once, then the next
    /// 30m later to the critical tier's audience, then nothing.
    @Test func unacknowledgedEpisodeEscalatesOnceAtTheRightTime() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        let firing = driver.send(12, at: 0)
        #expect(firing.notices == [Notice(.firing, 0, ["alice"])])
        #expect(firing.notifications.first?.reason == .value)
        #expect(driver.minute(of: driver.ruleState()?.escalationDueAt) == 15)
        #expect(driver.state.nextEscalationDue == driver.timeline.at(minutes: 15))

        #expect(driver.tick(at: 14.99).notifications.isEmpty)
        let first = driver.tick(at: 15)
        #expect(first.notifications.map { Notice($0) } == [Notice(.escalated, 0, ["bob"])])
        #expect(first.notifications.first?.reason == .timeout)
        #expect(first.notifications.first?.recipients.first?.path == "user:bob")
        #expect(first.notifications.first?.occurredAt == driver.timeline.at(minutes: 15))
        #expect(first.changed == [RuleStateKey(ruleID: "r", subjectID: "p-1")])
        #expect(driver.tick(at: 15).notifications.isEmpty, "a step fires once")

        #expect(driver.tick(at: 44.9).notifications.isEmpty)
        // The second step names the critical tier: its audience, on the episode's tier.
        #expect(driver.tick(at: 45).notifications.map { Notice($0) } == [Notice(.escalated, 0, ["dave"])])
        #expect(driver.ruleState()?.escalationDueAt == nil)
        #expect(driver.ruleState()?.escalationStep == 2)
        let late = driver.tick(at: 10_000)
        #expect(late.notifications.isEmpty && late.changed.isEmpty)
        // Everyone told by a timeout is told the episode resolved.
        #expect(driver.send(0, at: 10_001).notices == [Notice(.resolved, 0, ["alice", "bob", "dave"])])
    }

    struct RepeatCase: Sendable, CustomTestStringConvertible {
        let repeatCount: Int
        let firings: [Firing]
        var testDescription: String { "repeat \(repeatCount)" }
    }

    /// Each step counts from the previous one; after the last step the whole chain
    /// runs `repeat` more times, then stops (ticked every minute for five hours).
    @Test(arguments: [
        RepeatCase(repeatCount: 0, firings: [Firing(15, ["bob"]), Firing(45, ["dave"])]),
        RepeatCase(repeatCount: 1, firings: [Firing(15, ["bob"]), Firing(45, ["dave"]), Firing(60, ["bob"]), Firing(90, ["dave"])]),
        RepeatCase(repeatCount: 2, firings: [Firing(15, ["bob"]), Firing(45, ["dave"]), Firing(60, ["bob"]), Firing(90, ["dave"]),
                                             Firing(105, ["bob"]), Firing(135, ["dave"])]),
    ])
    func chainStepsAndRepeats(_ testCase: RepeatCase) throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(repeatCount: testCase.repeatCount))
        driver.send(12, at: 0)
        #expect(driver.tickEvery(1, through: 0...300) == testCase.firings)
    }

    /// Timeout notices number their firing in the chain, repeats counted, and the
    /// webhook JSON carries it.
    @Test func timeoutNoticesCarryTheirStepNumber() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(repeatCount: 1))
        #expect(driver.send(12, at: 0).notifications.first?.escalationStep == nil)
        var fired: [HeraldNotification] = []
        for minute in 0...200 { fired += driver.tick(at: Double(minute)).notifications }
        #expect(fired.map(\.escalationStep) == [1, 2, 3, 4])
        #expect(NotificationJSON.object(fired[2])["escalationStep"] as? Int == 3)
        #expect(NotificationJSON.object(fired[2])["reason"] as? String == "timeout")
    }

    /// Reaching a higher tier by value restarts the clock for that tier: the warn
    /// chain's 15m step never fires; the critical chain's 10m step fires 10m after the climb.
    @Test func valueEscalationRestartsTheClock() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        let climb = driver.send(31, at: 8)
        #expect(climb.notices == [Notice(.escalated, 1, ["dave"])])
        #expect(climb.notifications.first?.reason == .value)
        #expect(driver.minute(of: driver.ruleState()?.tierEnteredAt) == 8)
        #expect(driver.tickEvery(1, through: 0...120) == [Firing(18, ["owner"], tier: 1)])
    }

    /// A climb to a tier new in this episode clears an acknowledgement (its people have
    /// not seen the episode) and arms that tier's chain.
    @Test func climbingToANewTierClearsTheAcknowledgement() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        #expect(driver.acknowledge(.user("alice"), at: 2).value != nil)
        driver.send(31, at: 5)
        #expect(driver.ruleState()?.isAcknowledged == false)
        #expect(driver.tickEvery(1, through: 0...60) == [Firing(15, ["owner"], tier: 1)])
    }

    /// Falling back disarms; climbing back to a tier already reached keeps an
    /// acknowledgement (no timer), or re-arms from the climb when there is none.
    @Test func deescalationDisarmsAndAReturnKeepsTheAcknowledgement() throws {
        var acknowledged = EvaluatorDriver(try EscalationConfig.load())
        acknowledged.send(31, at: 0)
        #expect(acknowledged.acknowledge(.user("dave"), at: 1).value != nil)
        acknowledged.send(12, at: 2)
        #expect(acknowledged.ruleState()?.escalationDueAt == nil)
        acknowledged.send(31, at: 3)
        #expect(acknowledged.ruleState()?.acknowledgedBy == "dave")
        #expect(acknowledged.tickEvery(1, through: 0...120).isEmpty)

        var unacknowledged = EvaluatorDriver(try EscalationConfig.load())
        unacknowledged.send(31, at: 0)
        unacknowledged.send(12, at: 2)
        #expect(unacknowledged.ruleState()?.escalationDueAt == nil, "de-escalation disarms")
        #expect(unacknowledged.tickEvery(1, through: 0...20).isEmpty)
        unacknowledged.send(31, at: 30)
        #expect(unacknowledged.tickEvery(1, through: 21...120) == [Firing(40, ["owner"], tier: 1)])
    }

    /// Herald was down for ten hours across several due times: the first tick fires
    /// the due step once (not a burst), and the chain carries on from then.
    @Test func tickAfterALongDowntimeFiresOnce() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(repeatCount: 5))
        driver.send(12, at: 0)
        let resumed = driver.tick(at: 600)
        #expect(resumed.notifications.map { Notice($0) } == [Notice(.escalated, 0, ["bob"])])
        #expect(driver.tick(at: 600).notifications.isEmpty)
        #expect(driver.minute(of: driver.ruleState()?.escalationDueAt) == 630)
        #expect(driver.tickEvery(1, through: 601...660) == [Firing(630, ["dave"]), Firing(645, ["bob"])])
    }

    /// The state is persisted between scheduling and firing (a restart): the decoded
    /// state fires the same notice, once.
    @Test func timerSurvivesARestart() throws {
        let config = try EscalationConfig.load()
        var before = EvaluatorDriver(config)
        before.send(12, at: 0)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let stored = try encoder.encode(before.state)
        var after = EvaluatorDriver(config, state: try decoder.decode(EvaluationState.self, from: stored))
        let fired = after.tick(at: 15).notifications
        #expect(fired == before.tick(at: 15).notifications)
        #expect(fired.map { Notice($0) } == [Notice(.escalated, 0, ["bob"])])
        #expect(after.tick(at: 16).notifications.isEmpty)
    }

    /// A reload that drops the chain leaves a running timer with nothing to do: the
    /// next tick removes it without a notice, and reports the state as changed.
    @Test func reloadWithoutTheChainDropsTheTimerQuietly() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        let plain = RuleSpec(tiers: [TierSpec(name: "warn", threshold: 10, users: ["alice"]),
                                     TierSpec(name: "critical", threshold: 30, users: ["dave"])])
        driver.reload(try EvaluatorConfig.load([plain]))
        let outcome = driver.tick(at: 15)
        #expect(outcome.notifications.isEmpty)
        #expect(outcome.changed == [RuleStateKey(ruleID: "r", subjectID: "p-1")])
        #expect(driver.ruleState()?.escalationDueAt == nil)
    }

    /// Timers of different subjects run independently, fire in key order and are
    /// each reported once.
    @Test func timersPerSubject() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0, subject: "p-2")
        driver.send(12, at: 5, subject: "p-1")
        let both = driver.tick(at: 20)
        #expect(both.notifications.map(\.subject.id) == ["p-1", "p-2"])
        #expect(both.changed.map(\.subjectID) == ["p-1", "p-2"])
        #expect(driver.state.nextEscalationDue == driver.timeline.at(minutes: 50))
    }

    /// Replaying the same timeline gives the same notice ids; ids never repeat.
    @Test func timeoutNoticeIdsAreDeterministicAndUnique() throws {
        func run() throws -> [String] {
            var driver = EvaluatorDriver(try EscalationConfig.load(repeatCount: 1))
            var ids = driver.send(12, at: 0).notifications.map(\.id)
            for minute in 0...100 { ids += driver.tick(at: Double(minute)).notifications.map(\.id) }
            return ids
        }
        let ids = try run()
        #expect(try run() == ids)
        #expect(ids.count == 5 && Set(ids).count == 5)
        #expect(ids.last == "r/p-1/1@1800000000000/5-escalated-t0")
    }
}
