import Foundation
import Testing
import HeraldCore
import HeraldTestKit

/// The chaos test's oracle (`ReplayCheck`, `EpisodeReplay`) checked on its own: a store
/// written by one evaluator in sequence passes, and each way several instances could get
/// it wrong — a step fired twice, a notice lost, a write on a stale row, a revision off
/// by one — is reported. Without these, a replay that passed everything would look like
/// a correct system.
struct ReplayCheckTests {
    /// One rule as in the chaos test: three tiers, every change notified, two 2 s steps
    /// on `critical`, one on `high`.
    static let config = """
        {"users": [{"id": "owner", "name": "Owner", "owner": true}, {"id": "u-warn", "name": "Warn"},
                   {"id": "u-high", "name": "High"}, {"id": "u-crit", "name": "Crit"}, {"id": "u-step", "name": "Step"}],
         "rules": [{"id": "load", "name": "Load", "metric": "load",
                    "notifyResolved": true, "notifyDeescalated": true, "notifyAcknowledged": true,
                    "tiers": [{"name": "warn", "threshold": 10, "notify": [{"user": "u-warn"}]},
                              {"name": "high", "threshold": 20, "notify": [{"user": "u-high"}],
                               "escalation": {"steps": [{"after": "2s", "notify": [{"owner": true}]}]}},
                              {"name": "critical", "threshold": 30, "notify": [{"user": "u-crit"}],
                               "escalation": {"steps": [{"after": "2s", "notify": [{"owner": true}]},
                                                        {"after": "2s", "notify": [{"user": "u-step"}]}]}}]}]}
        """
    static let start = Date(timeIntervalSince1970: 1_796_000_000)

    /// A store as one evaluator taking everything in sequence leaves it.
    struct Store {
        var evaluator: Evaluator
        var state = EvaluationState()
        var inputs: [ReplayCheck.Input] = []
        var audit: [Data] = []
        var writes: Int64 = 0

        init() throws { evaluator = Evaluator(config: try ConfigLoader.load(Data(ReplayCheckTests.config.utf8))) }

        mutating func post(_ index: Int, _ value: Double, at offset: TimeInterval) throws {
            let stamp = ReplayCheckTests.start.addingTimeInterval(offset).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            let body = #"{"id": "e-\#(index)", "metric": "load", "value": \#(value), "subject": {"id": "s"}, "timestamp": "\#(stamp)"}"#
            let event = try #require(try EventDecoder().decode(Data(body.utf8)).first)
            let outcome = evaluator.evaluate(event, state: &state, now: event.timestamp!)
            audit += outcome.notifications.map(NotificationJSON.data)
            writes += Int64(outcome.rules.filter { $0.state != nil }.count)
            inputs.append(.event(body))
        }

        mutating func tick(at offset: TimeInterval) {
            let outcome = evaluator.tick(state: &state, now: ReplayCheckTests.start.addingTimeInterval(offset))
            audit += outcome.notifications.map(NotificationJSON.data)
            writes += Int64(outcome.changed.count)
        }

        mutating func act(_ transition: Transition, as actor: EpisodeActor, at offset: TimeInterval) throws {
            let episode = try #require(state.rules[RuleStateKey(ruleID: "load", subjectID: "s")]).episodeID(for: RuleStateKey(ruleID: "load", subjectID: "s"))
            let now = ReplayCheckTests.start.addingTimeInterval(offset)
            let result = transition == .acknowledged ? evaluator.acknowledge(episodeID: episode, by: actor, state: &state, now: now)
                : evaluator.resolve(episodeID: episode, by: actor, state: &state, now: now)
            let outcome = try result.get()
            audit += outcome.notifications.map(NotificationJSON.data)
            writes += 1
            inputs.append(.action(transition: transition.rawValue, episodeID: episode, actor: actor.description))
        }

        func subject(audit: [Data]? = nil, revision: Int64? = nil) -> ReplayCheck.Subject {
            let stored = state.rules[RuleStateKey(ruleID: "load", subjectID: "s")]!.storedData()
            return ReplayCheck.Subject(id: "s", inputs: inputs, audit: audit ?? self.audit, states: ["load": stored],
                                       revisions: ["load": revision ?? writes])
        }
    }

    /// Fires critical, a step, an ack, falls, resolves; a new episode resolved by hand;
    /// another ended by value. `loseResolve`: the hand resolve's change is lost (a later
    /// write built on the row as it was before it), as a stale cache would.
    static func scenario(loseResolve: Bool = false) throws -> Store {
        var store = try Store()
        try store.post(0, 35, at: 0)          // firing critical; step 1 due at 2 s
        try store.post(1, 35, at: 0.5)        // silent
        store.tick(at: 2.1)                   // step 1; step 2 due at 4.1 s
        try store.post(2, 35, at: 2.5)        // silent
        try store.act(.acknowledged, as: .user("u-crit"), at: 3)   // stops step 2
        try store.post(3, 15, at: 5)          // deescalated to warn
        try store.post(4, 5, at: 5.5)         // resolved
        try store.post(5, 25, at: 6)          // episode 2 fires high
        let beforeResolve = store.state
        try store.act(.resolved, as: .operator("writer"), at: 7)
        if loseResolve { store.state = beforeResolve }
        try store.post(6, 25, at: 7.5)        // episode 3 fires high (silent when the resolve was lost)
        try store.post(7, 5, at: 8)           // resolved
        return store
    }

    static let end = start.addingTimeInterval(20)

    @Test func aStoreWrittenInSequencePasses() throws {
        let store = try Self.scenario()
        let report = try ReplayCheck(config: Self.config).check(store.subject(), end: Self.end)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.notices == 9)
        #expect(report.timeouts == 1)
        #expect(report.manual == 2)
        #expect(report.noticesPerEvent == ["e-0": 1, "e-1": 0, "e-2": 0, "e-3": 1, "e-4": 1, "e-5": 1, "e-6": 1, "e-7": 1])
    }

    @Test func aStepFiredTwiceIsReported() throws {
        let store = try Self.scenario()
        let step = try #require(store.audit.firstIndex { try AuditNotice(payload: $0).reason == "timeout" })
        var audit = store.audit
        audit.insert(audit[step], at: step + 1)
        let report = try ReplayCheck(config: Self.config).check(store.subject(audit: audit), end: Self.end)
        #expect(report.problems.contains { $0.contains("tier 2 step 1 fired 2 times") }, "\(report.problems)")
        #expect(report.problems.contains { $0.contains("part from the replay") }, "\(report.problems)")
    }

    @Test func aLostNoticeIsReported() throws {
        let store = try Self.scenario()
        var audit = store.audit
        audit.removeAll { (try? AuditNotice(payload: $0).transition) == "deescalated" }
        let report = try ReplayCheck(config: Self.config).check(store.subject(audit: audit), end: Self.end)
        #expect(report.problems.contains { $0.contains("the store's 8 notices part from the replay's 9") }, "\(report.problems)")
    }

    @Test func aWriteOnAStaleRowIsReported() throws {
        let store = try Self.scenario(loseResolve: true)
        let report = try ReplayCheck(config: Self.config).check(store.subject(), end: Self.end)
        #expect(report.problems.contains { $0.contains("part from the replay") }, "\(report.problems)")
        #expect(report.problems.contains { $0.contains("stored state != replay") }, "\(report.problems)")
    }

    @Test func aRevisionOffByOneIsReported() throws {
        let store = try Self.scenario()
        let report = try ReplayCheck(config: Self.config).check(store.subject(revision: store.writes + 1), end: Self.end)
        #expect(report.problems == ["subject s, rule load: stored revision \(store.writes + 1), the replay wrote the row \(store.writes) times"])
    }

    @Test func aTimerLeftUnfiredIsReported() throws {
        var store = try Self.scenario()
        try store.post(8, 35, at: 9)          // firing critical; step 1 due at 11 s, never fired in this store
        let report = try ReplayCheck(config: Self.config).check(store.subject(), end: Self.end)
        #expect(report.problems.contains { $0.contains("part from the replay") }, "\(report.problems)")
    }
}
