import Foundation
import Synchronization
import Testing
import HeraldCore
import HeraldPostgres
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// Two evaluation loops on one PostgreSQL database, as two Herald instances behind a
/// balancer (issue #20): each loop's memory is only a cache, the rows decide. Events of
/// one subject reaching either instance form one sequence, equal to a single evaluator's;
/// an event id is accepted once; a timer armed by one fires once, from either; an ack on
/// one stops the escalation the other would fire.
@Suite(.serialized) struct SharedStoreEvaluationTests {
    static let config = """
        {"users": [{"id": "owner", "name": "Owner", "owner": true}, {"id": "lead", "name": "Lead"}],
         "rules": [{"id": "r", "metric": "m", "tiers": [
            {"name": "low", "threshold": 10, "notify": [{"user": "lead"}]},
            {"name": "mid", "threshold": 20, "notify": [{"user": "lead"}]},
            {"name": "high", "threshold": 30, "notify": [{"user": "lead"}],
             "escalation": {"steps": [{"after": "ESCALATE", "notify": [{"owner": true}]}]}}]}]}
        """

    struct Instance {
        let store: PostgresStore
        let loop: EvaluationLoop
        let metrics: MetricsRegistry
    }

    func withInstances(_ count: Int, escalateAfter: String = "1h", _ body: (HeraldConfig, [Instance]) throws -> Void) throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let config = try TestConfig.load(Self.config.replacingOccurrences(of: "ESCALATE", with: escalateAfter))
        let instances = try (0..<count).map { _ in
            let store = try PostgresStore(url: database.url, connections: 2)
            let metrics = MetricsRegistry()
            let loop = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: metrics,
                                      logger: Logger(label: "test", environment: [:]) { _ in })
            return Instance(store: store, loop: loop, metrics: metrics)
        }
        defer { for instance in instances { instance.loop.drain() } }
        try body(config, instances)
    }

    func submit(_ loop: EvaluationLoop, _ events: [MetricEvent]) -> Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>? {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>?>(nil)
        loop.submit(events) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + 20) == .success else { return nil }
        return outcome.withLock { $0 }
    }

    /// Events a minute old plus `offset` seconds: escalation clocks start at an event's
    /// time, so it must not lie in the future.
    let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 60).rounded())

    func event(_ id: String, _ value: Double, at offset: TimeInterval, subject: String = "s") -> MetricEvent {
        MetricEvent(id: id, metric: "m", value: value, subject: .init(id: subject), timestamp: start.addingTimeInterval(offset))
    }

    /// The notices for (r, s) in the order they were decided.
    func notices(_ store: PostgresStore, subject: String = "s") throws -> [(id: String, transition: String, tier: String?)] {
        try store.auditPage(subject: subject, rule: "r", limit: 100).items.reversed()
            .map { ($0.record.notificationID, $0.record.transition, $0.record.tier) }
    }

    @Test func eventsOfOneSubjectAlternatingBetweenInstancesFormTheSequenceOfOneEvaluator() throws {
        try withInstances(2) { config, instances in
            let events = [event("e1", 15, at: 1), event("e2", 25, at: 2), event("e3", 35, at: 3), event("e4", 12, at: 4),
                          event("e5", 31, at: 5), event("e6", 2, at: 6)]
            for (index, event) in events.enumerated() {
                let summary = try #require(try submit(instances[index % 2].loop, [event])?.get())
                #expect(summary.accepted == 1)
            }
            // One evaluator, every event in order: what the two instances must have decided together.
            var replay = EvaluationState()
            let evaluator = Evaluator(config: config)
            var expected: [(String, String, String?)] = []
            for event in events {
                for notice in evaluator.evaluate(event, state: &replay, now: Date()).notifications {
                    expected.append((notice.id, notice.transition.rawValue, notice.tier.name))
                }
            }
            let stored = try notices(instances[0].store)
            #expect(stored.map(\.id) == expected.map(\.0))
            #expect(stored.map(\.transition) == expected.map(\.1))
            #expect(stored.map(\.tier) == expected.map(\.2))
            // Every event moved the row once: a gap-free sequence of six writes.
            #expect(try instances[0].store.loadRuleStates().map(\.revision) == [6])
            // The second instance's first event found the row the first had written, and was
            // decided again: its notice is counted once, after the commit that kept it.
            #expect(instances[1].metrics.value("herald_commit_conflicts_total") ?? 0 >= 1)
            let labels = Set(stored.map { "\($0.tier ?? "")|\($0.transition)" })
            let counted = instances.reduce(0.0) { sum, instance in
                sum + labels.reduce(0.0) { partial, pair in
                    let parts = pair.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                    return partial + (instance.metrics.value("herald_notifications_total",
                                                             [("rule", "r"), ("tier", parts[0]), ("transition", parts[1])]) ?? 0)
                }
            }
            #expect(counted == Double(stored.count))
        }
    }

    @Test func anEventIdAcceptedByOneInstanceIsADuplicateAtTheOther() throws {
        try withInstances(2) { _, instances in
            #expect(try submit(instances[0].loop, [event("e1", 15, at: 1)])?.get().accepted == 1)
            let again = try #require(try submit(instances[1].loop, [event("e1", 15, at: 1), event("e2", 16, at: 2)])?.get())
            #expect(again.accepted == 1 && again.duplicates == 1)
            #expect(try notices(instances[0].store).count == 1)
            #expect(try instances[0].store.seenEvents(["e1", "e2"]).map(\.eventID) == ["e1", "e2"])
        }
    }

    @Test func manyEventsAtOnceThroughThreeInstancesLoseNothingAndRepeatNothing() throws {
        try withInstances(3) { _, instances in
            // Twenty subjects, six events each, all three instances writing them at once:
            // each subject's events go to the instances in turn, one after the other.
            let group = DispatchGroup()
            let failures = Mutex(0)
            for subject in 0..<20 {
                DispatchQueue.global().async(group: group) {
                    for step in 0..<6 {
                        let value = [15.0, 25, 35, 5, 22, 1][step]
                        let event = event("s\(subject)-\(step)", value, at: Double(step), subject: "s\(subject)")
                        if (try? submit(instances[(subject + step) % 3].loop, [event])?.get().accepted) != 1 {
                            failures.withLock { $0 += 1 }
                        }
                    }
                }
            }
            #expect(group.wait(timeout: .now() + 120) == .success)
            #expect(failures.withLock { $0 } == 0)
            let rows = try instances[0].store.loadRuleStates()
            #expect(rows.count == 20 && rows.allSatisfy { $0.revision == 6 })
            for subject in 0..<20 {
                let ids = try notices(instances[0].store, subject: "s\(subject)").map(\.id)
                // raised 10, escalated 20, 30, resolved, raised again at 20, resolved
                #expect(ids.count == 6 && Set(ids).count == 6)
            }
        }
    }

    @Test func aTimerArmedByOneInstanceFiresOnceFromWhicheverPollsIt() throws {
        try withInstances(2, escalateAfter: "1s") { _, instances in
            // Only the second instance runs timers: the first armed the step and "died".
            instances[1].loop.startTimers()
            // At the current time: the step falls due a second from now.
            #expect(try submit(instances[0].loop, [event("e1", 35, at: Date().timeIntervalSince(start))])?.get().accepted == 1)
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, try notices(instances[0].store).count < 2 { Thread.sleep(forTimeInterval: 0.2) }
            // Both now run timers on the same row: still one notice per step.
            instances[0].loop.startTimers()
            Thread.sleep(forTimeInterval: 2.5)
            let stored = try notices(instances[0].store)
            #expect(stored.map(\.transition) == ["firing", "escalated"])
            #expect(try instances[0].store.dueRuleStates(before: .distantFuture, limit: 10).isEmpty)
        }
    }

    @Test func anAckOnOneInstanceStopsTheEscalationTheOtherWouldFire() throws {
        try withInstances(2, escalateAfter: "3s") { _, instances in
            instances[0].loop.startTimers()
            // At the current time: the step falls due three seconds from now, after the ack.
            #expect(try submit(instances[0].loop, [event("e1", 35, at: Date().timeIntervalSince(start))])?.get().accepted == 1)
            let episode = try #require(instances[0].loop.queue.sync { () -> String? in
                instances[0].loop.state.rules[RuleStateKey(ruleID: "r", subjectID: "s")]?.episodeID(for: RuleStateKey(ruleID: "r", subjectID: "s"))
            })
            // The second instance never saw the episode: it reads the row to act on it.
            let acted = DispatchSemaphore(value: 0)
            let result = Mutex<Result<EvaluationLoop.ActionResult, EvaluationLoop.ActionFailure>?>(nil)
            instances[1].loop.act(.acknowledge, episodeID: episode, by: .operator("ops")) { outcome in
                result.withLock { $0 = outcome }
                acted.signal()
            }
            #expect(acted.wait(timeout: .now() + 10) == .success)
            #expect(try result.withLock { $0 }?.get().changed == true)
            Thread.sleep(forTimeInterval: 4)
            let transitions = try notices(instances[0].store).map(\.transition)
            #expect(transitions == ["firing", "acknowledged", "acknowledge"])   // no "escalated"
        }
    }

    @Test func whatOneInstanceDecidesReachesTheOthersMemoryWithinAboutASecond() throws {
        try withInstances(2) { (_, instances) throws in
            instances[1].loop.startTimers()   // its polls follow the store's feed of writes
            #expect(try submit(instances[0].loop, [event("e1", 25, at: 1)])?.get().accepted == 1)
            let key = RuleStateKey(ruleID: "r", subjectID: "s")
            let deadline = Date().addingTimeInterval(5)
            var seen: RuleState?
            while Date() < deadline {
                seen = instances[1].loop.queue.sync { instances[1].loop.state.rules[key] }
                if seen != nil { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            // What GET /v1/episodes on the second instance lists: the episode the first opened.
            #expect(seen?.tier == 1 && seen?.revision == 1)
            #expect(instances[1].loop.snapshot().0.rules[key] == seen)
        }
    }
}
