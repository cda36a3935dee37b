import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Out-of-order events, duplicate event ids and deterministic notification ids.
@Suite struct EvaluatorOrderingTests {
    private func driver(idempotencyWindow: String? = "1h", repeatAfter: String? = nil) throws -> EvaluatorDriver {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above), repeatAfter: repeatAfter)
        return EvaluatorDriver(try EvaluatorConfig.load([rule], idempotencyWindow: idempotencyWindow))
    }

    // MARK: out of order

    /// An event older than the last applied one is reported `outOfOrder` and changes
    /// nothing, even though its value would escalate; an equal timestamp is applied.
    @Test func olderEventIsIgnored() throws {
        var driver = try driver()
        driver.send(12, at: 10)
        let before = driver.state
        let late = driver.send(25, at: 5, receivedAt: 11)
        #expect(late.duplicate == false)
        #expect(late.rules.map(\.status) == [.outOfOrder])
        #expect(late.rules.first?.state == nil)
        #expect(late.rules.first?.tier?.index == 0)
        #expect(late.notifications.isEmpty)
        #expect(driver.state == before)

        let sameInstant = driver.send(25, at: 10, receivedAt: 12)
        #expect(sameInstant.rules.map(\.status) == [.changed])
        #expect(sameInstant.notices == [Notice(.escalated, 1, ["bob", "carol"])])
    }

    /// An old event that would resolve the episode does not resolve it.
    @Test func olderEventDoesNotResolve() throws {
        var driver = try driver()
        driver.send(25, at: 10)
        #expect(driver.send(1, at: 9.99, receivedAt: 11).notices.isEmpty)
        #expect(driver.ruleState()?.tier == 1)
        #expect(driver.send(1, at: 10, receivedAt: 12).notices == [Notice(.resolved, 1, ["bob", "carol"])])
    }

    /// Ordering is per (rule, subject): another subject's older timestamp is fine.
    @Test func orderingIsPerSubject() throws {
        var driver = try driver()
        driver.send(12, at: 10, subject: "p-1")
        let other = driver.send(12, at: 5, subject: "p-2", receivedAt: 11)
        #expect(other.rules.map(\.status) == [.changed])
        #expect(other.notices == [Notice(.firing, 0, ["alice", "bob"])])
    }

    /// Without a timestamp the event's time is when it was received (`now`), and that
    /// time is compared like any other.
    @Test func missingTimestampUsesNow() throws {
        var driver = try driver()
        let untimed = TestEvent.make(value: 12, at: nil)
        driver.send(untimed, receivedAt: 20)
        #expect(driver.ruleState()?.lastEventAt == driver.timeline.at(minutes: 20))
        #expect(driver.send(25, at: 15, receivedAt: 21).rules.map(\.status) == [.outOfOrder])
        // Received earlier than the last applied time (a clock step back): also out of order.
        #expect(driver.send(TestEvent.make(value: 25, at: nil), receivedAt: 19).rules.map(\.status) == [.outOfOrder])
        #expect(driver.send(TestEvent.make(value: 25, at: nil), receivedAt: 20).notices == [Notice(.escalated, 1, ["bob", "carol"])])
    }

    /// `explain` counts the ignored events and says why.
    @Test func explainCountsOutOfOrderEvents() throws {
        let config = try EvaluatorConfig.load([RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))])
        let timeline = Timeline()
        let events = [
            TestEvent.make(value: 12, at: timeline.at(minutes: 10)),
            TestEvent.make(value: 25, at: timeline.at(minutes: 5)),
            TestEvent.make(value: 35, at: timeline.at(minutes: 4)),
        ]
        let explanation = Explanation.run(events, config: config, now: timeline.at(minutes: 20))
        #expect(explanation.outOfOrderCount == 2)
        #expect(explanation.finalState.rules.values.map(\.tier) == [0])
        #expect(ExplanationRenderer.text(explanation).contains("ignored (out of order)"))
    }

    // MARK: duplicates

    /// A repeated id inside the window is a duplicate: no rule runs, nothing is sent,
    /// the state is exactly as before — even with a different value.
    @Test func duplicateInsideWindowChangesNothing() throws {
        var driver = try driver()
        driver.send(12, at: 0, id: "e-1")
        let before = driver.state
        let again = driver.send(35, at: 1, id: "e-1")
        #expect(again.duplicate)
        #expect(again.rules.isEmpty)
        #expect(again.notifications.isEmpty)
        #expect(driver.state == before)
    }

    /// The window (1h here) is measured on receive time from the first acceptance;
    /// duplicates do not extend it, and at exactly the window the id is new again.
    @Test func duplicateWindowBoundary() throws {
        var driver = try driver()
        driver.send(12, at: 0, id: "e-1")
        #expect(driver.send(25, at: 0, id: "e-1", receivedAt: 59.9).duplicate)
        let outside = driver.send(25, at: 0, id: "e-1", receivedAt: 60)
        #expect(!outside.duplicate)
        #expect(outside.notices == [Notice(.escalated, 1, ["bob", "carol"])])
        #expect(driver.state.seenEvents["e-1"] == driver.timeline.at(minutes: 60))
        #expect(driver.send(35, at: 0, id: "e-1", receivedAt: 61).duplicate)
    }

    /// A duplicate does not refresh the first-seen time: it expires on schedule.
    @Test func duplicatesDoNotExtendTheWindow() throws {
        var driver = try driver()
        driver.send(12, at: 0, id: "e-1")
        #expect(driver.send(12, at: 0, id: "e-1", receivedAt: 50).duplicate)
        #expect(!driver.send(12, at: 0, id: "e-1", receivedAt: 70).duplicate)
    }

    /// Without a `server.idempotencyWindow` ids are remembered for a day.
    @Test func defaultWindowIsOneDay() throws {
        var driver = try driver(idempotencyWindow: nil)
        driver.send(12, at: 0, id: "e-1")
        #expect(driver.send(12, at: 0, id: "e-1", receivedAt: 23 * 60).duplicate)
        #expect(!driver.send(12, at: 0, id: "e-1", receivedAt: 24 * 60).duplicate)
    }

    /// The id is the request's idempotency key, whatever subject it names; events
    /// without an id are never duplicates; different ids with equal content are not.
    @Test func duplicateIsByIDOnly() throws {
        var driver = try driver()
        driver.send(12, at: 0, subject: "p-1", id: "e-1")
        #expect(driver.send(12, at: 1, subject: "p-2", id: "e-1").duplicate)
        #expect(driver.ruleState(subject: "p-2") == nil)
        #expect(!driver.send(12, at: 2, subject: "p-1", id: "e-2").duplicate)
        #expect(!driver.send(12, at: 3, subject: "p-1").duplicate)
        #expect(!driver.send(12, at: 4, subject: "p-1").duplicate)
    }

    /// An out-of-order event's id is remembered too: re-sending it is a duplicate.
    @Test func outOfOrderIDIsRemembered() throws {
        var driver = try driver()
        driver.send(12, at: 10, id: "e-1")
        #expect(driver.send(25, at: 5, id: "e-2", receivedAt: 11).rules.map(\.status) == [.outOfOrder])
        #expect(driver.send(25, at: 5, id: "e-2", receivedAt: 12).duplicate)
    }

    /// Pruning forgets ids first seen before the cutoff and keeps the rest.
    @Test func pruneForgetsOldIDs() throws {
        var driver = try driver()
        driver.send(12, at: 0, id: "old")
        driver.send(12, at: 30, id: "new")
        driver.state.pruneSeenEvents(before: driver.timeline.at(minutes: 30))
        #expect(driver.state.seenEvents.keys.sorted() == ["new"])
        #expect(!driver.send(12, at: 31, id: "old").duplicate)
        #expect(driver.send(12, at: 32, id: "new").duplicate)
    }

    // MARK: deterministic ids

    /// A sequence with every transition, repeats and a second episode.
    private func sequence(_ driver: inout EvaluatorDriver, from start: Double) -> [HeraldNotification] {
        let values: [Double] = [12, 12, 25, 25, 35, 12, 5, 25, 25, 5]
        return values.enumerated().flatMap { offset, value in
            driver.send(value, at: start + Double(offset) * 10, id: "e-\(start)-\(offset)").notifications
        }
    }

    /// Re-running the same events from the same starting state — a retry, or a replay
    /// after a crash — yields the same notifications, ids included, and the same state.
    @Test(arguments: [false, true])
    func replayYieldsIdenticalIDs(_ midEpisode: Bool) throws {
        var setup = try driver(repeatAfter: "15m")
        if midEpisode { setup.send(25, at: 0) }
        var first = setup
        var second = setup
        let a = sequence(&first, from: 100)
        let b = sequence(&second, from: 100)
        #expect(a == b)
        #expect(first.state == second.state)
        #expect(Set(a.map(\.id)).count == a.count, "ids are unique: \(a.map(\.id))")
        // Mid-episode the first notice is a repeat at the tier told at minute 0 (the
        // lower tier reached on the way down was never told, so it gets no repeat).
        let expectedFirstID = midEpisode ? "r/p-1/1@1800000000000/2-repeated-t1" : "r/p-1/1@1800006000000/1-firing-t0"
        #expect(a.first?.id == expectedFirstID)
    }

    /// The state survives an encode/decode round trip (how it is persisted) and
    /// continuing from the decoded copy yields the same notifications as continuing in
    /// memory.
    @Test func persistedStateContinuesIdentically() throws {
        var live = try driver(repeatAfter: "15m")
        _ = sequence(&live, from: 0)
        live.send(35, at: 100)
        let data = try JSONEncoder().encode(live.state)
        let decoded = try JSONDecoder().decode(EvaluationState.self, from: data)
        #expect(decoded == live.state)
        var restored = live
        restored.state = decoded
        #expect(sequence(&restored, from: 200) == sequence(&live, from: 200))
        #expect(restored.state == live.state)
    }
}
