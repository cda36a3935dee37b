import Foundation
import Synchronization
import Testing
import HeraldCore
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// The evaluation's periodic prune keeps state bounded: at most
/// `server.maxRememberedEventIds` ids, in memory and in the store alike (and says so when
/// that cut the window short), and no rule state of a subject idle for 30 days.
struct EvaluationPruningTests {
    @Test func pruningPastTheLimitForgetsTheOldestInMemoryAndInTheStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-remembered-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers), "server": {"maxRememberedEventIds": 1000}}
            """)
        let store = try SQLiteStore(directory: directory)
        let metrics = MetricsRegistry()
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test", environment: [:]) { line in lines.withLock { $0.append(line) } }
        let evaluation = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: metrics, logger: logger)

        // 12 requests of 100 new ids, each accepted at its own instant.
        for request in 0..<12 {
            let events = (0..<100).map { MetricEvent(id: "r\(request)-\($0)", metric: "m", value: 1, subject: .init(id: "s")) }
            let done = DispatchSemaphore(value: 0)
            evaluation.submit(events) { _ in done.signal() }
            #expect(done.wait(timeout: .now() + 10) == .success)
            Thread.sleep(forTimeInterval: 0.003)
        }
        evaluation.prune()
        let remembered = evaluation.queue.sync { Set(evaluation.state.seenEvents.keys) }
        #expect(remembered.count == 1000)
        #expect(!remembered.contains("r1-0") && remembered.contains("r2-0") && remembered.contains("r11-99"))
        let stored = Set(try store.loadSeenEvents(since: .distantPast).map(\.eventID))
        #expect(stored == remembered)
        #expect(metrics.value("herald_event_ids_forgotten_early_total") == 200)
        #expect(metrics.value("herald_event_ids_remembered") == 1000)
        #expect(lines.withLock { $0.contains { $0.contains("event ids forgotten before the idempotency window ended") } })
        evaluation.drain()
    }

    @Test func statesOfSubjectsIdleFor30DaysAreForgottenButNotOpenEpisodes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-idle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers),
             "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 10, "notify": [{"owner": true}]}]}]}
            """)
        let store = try SQLiteStore(directory: directory)
        let metrics = MetricsRegistry()
        let evaluation = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: metrics,
                                      logger: Logger(label: "test", environment: [:]) { _ in })
        let start = Date()
        // "quiet" never reaches a tier; "firing" opens an episode that stays open.
        for (subject, value) in [("quiet", 1.0), ("firing", 50.0)] {
            let done = DispatchSemaphore(value: 0)
            evaluation.submit([MetricEvent(metric: "m", value: value, subject: .init(id: subject), timestamp: start)]) { _ in done.signal() }
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
        #expect(try store.loadRuleStates().count == 2)

        evaluation.prune(now: start.addingTimeInterval(29 * 86_400))
        #expect(evaluation.queue.sync { evaluation.state.rules.count } == 2)

        evaluation.prune(now: start.addingTimeInterval(31 * 86_400))
        let kept = evaluation.queue.sync { evaluation.state.rules.keys.map(\.subjectID) }
        #expect(kept == ["firing"])
        evaluation.drain()
        #expect(try store.loadRuleStates().map(\.subjectID) == ["firing"])
        #expect(metrics.value("herald_rule_states_forgotten_total") == 1)
        #expect(metrics.value("herald_rule_states") == 1)
    }
}
