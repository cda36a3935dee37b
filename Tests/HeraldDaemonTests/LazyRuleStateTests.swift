import Foundation
import Testing
import HeraldCore
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// A restart keeps the stored rule states undecoded until used (issue #22), and what the
/// instance then does is what it did when every state was decoded at load.
struct LazyRuleStateTests {
    static let subjects = 3_000

    static func config() throws -> HeraldConfig {
        try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers),
             "rules": [{"id": "r", "metric": "m", "notifyResolved": true,
                        "tiers": [{"threshold": 10, "notify": [{"owner": true}]}]}]}
            """)
    }

    static func submit(_ events: [MetricEvent], to loop: EvaluationLoop) throws -> EvaluationLoop.Summary {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        loop.submit(events) { outcome in result.set(outcome); done.signal() }
        #expect(done.wait(timeout: .now() + 30) == .success)
        return try result.get()
    }

    @Test func aRestartWithManyStatesLoadsThemUndecodedAndActsAsIfDecoded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lazy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.config()
        let logger = Logger(label: "test", environment: [:]) { _ in }
        let store = try SQLiteStore(directory: directory)
        let first = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: MetricsRegistry(), logger: logger)
        for start in stride(from: 0, to: Self.subjects, by: 1_000) {
            let events = (start..<start + 1_000).map { MetricEvent(id: "e-\($0)", metric: "m", value: 50, subject: .init(id: "s-\($0)")) }
            #expect(try Self.submit(events, to: first).notifications == 1_000)
        }
        first.drain()

        // The restart: every state kept as its row, none decoded, each with its revision.
        let loaded = try EvaluationLoop.loadState(from: store, config: config, now: Date())
        #expect(loaded.rules.count == Self.subjects)
        #expect(loaded.rules.storedKeys.count == Self.subjects)
        #expect(loaded.seenEvents.count == Self.subjects)
        let eager = CommitPlanner.decodeStates(try store.loadRuleStates(), logger: { _ in })
        #expect(eager.count == Self.subjects)
        for (key, state) in eager { #expect(loaded.rules[key] == state, "\(key)") }

        // An event for a subject never decoded since the restart: resolved, to the people
        // told before the restart, and its row moves on from the stored revision.
        let second = EvaluationLoop(config: config, state: loaded, store: store, metrics: MetricsRegistry(), logger: logger)
        let key = RuleStateKey(ruleID: "r", subjectID: "s-1234")
        let revision = try #require(loaded.rules.revision(of: key))
        #expect(try Self.submit([MetricEvent(id: "e-again", metric: "m", value: 0, subject: .init(id: "s-1234"))], to: second).notifications == 1)
        #expect(try Self.submit([MetricEvent(id: "e-1234", metric: "m", value: 0, subject: .init(id: "s-1234"))], to: second).duplicates == 1)
        second.drain()
        let row = try #require(try store.ruleStates([RuleStateRowKey(ruleID: "r", subjectID: "s-1234")]).first)
        #expect(row.revision == revision + 1)
        #expect(RuleState(storedJSON: row.state)?.tier == nil)

        // Once running, the rest is decoded in slices between events.
        second.settleStoredStates()
        for _ in 0..<(Self.subjects / EvaluationLoop.settleSliceStates + 2) { second.queue.sync {} }
        let settled = second.queue.sync { second.state.rules }
        #expect(settled.storedKeys.isEmpty)
        #expect(settled.count == Self.subjects)
        for (key, state) in eager where key.subjectID != "s-1234" { #expect(settled[key] == state, "\(key)") }
    }

    /// Timers armed before a restart fire from rows never decoded: the start's tick finds
    /// them due by the rows' `due_at_ms`, once each.
    @Test func timersDueDuringARestartFireFromUndecodedRows() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lazy-timers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers),
             "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 10, "notify": [{"owner": true}],
                        "escalation": {"steps": [{"after": "1s", "notify": [{"owner": true}]}]}}]}]}
            """)
        let logger = Logger(label: "test", environment: [:]) { _ in }
        let store = try SQLiteStore(directory: directory)
        let first = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: MetricsRegistry(), logger: logger)
        let events = (0..<40).map { MetricEvent(id: "e-\($0)", metric: "m", value: 50, subject: .init(id: "s-\($0)")) }
        #expect(try Self.submit(events, to: first).notifications == 40)
        first.drain()
        Thread.sleep(forTimeInterval: 1.2)   // "down" while the steps fall due

        let loaded = try EvaluationLoop.loadState(from: store, config: config, now: Date())
        #expect(loaded.rules.storedKeys.count == 40)
        #expect(try #require(loaded.nextEscalationDue) <= Date())
        let second = EvaluationLoop(config: config, state: loaded, store: store, metrics: MetricsRegistry(), logger: logger)
        second.startTimers()
        defer { second.drain() }
        func escalated() throws -> [String] {
            try store.auditPage(rule: "r", limit: 100).items.filter { $0.record.transition == "escalated" }.map(\.record.subjectID)
        }
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, try escalated().count < 40 { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try escalated().sorted() == (0..<40).map { "s-\($0)" }.sorted())
        #expect(second.queue.sync { second.state.nextEscalationDue } == nil, "the chain of one step is done")
    }
}

/// Carries a completion's result out of its closure.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>?

    func set(_ value: Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>) { lock.withLock { result = value } }

    func get() throws -> EvaluationLoop.Summary {
        try lock.withLock { try #require(result).get() }
    }
}
