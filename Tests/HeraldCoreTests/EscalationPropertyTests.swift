import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Seeded random runs mixing events, ticks, acknowledgements, unacknowledgements and
/// manual resolves on two subjects, checking invariants after every operation.
@Suite struct EscalationPropertyTests {
    static let sequences = 150
    static let operationsPerSequence = 80
    static let baseSeed: UInt64 = 0x8E5C_A1A7_E000_0008

    @Test func invariantsHoldForRandomRuns() throws {
        var failures = 0
        var coverage: [String: Int] = [:]
        for index in 0..<Self.sequences {
            let seed = Self.baseSeed &+ UInt64(index)
            var run = try RandomEscalationRun(seed: seed)
            let (problems, seen) = run.check(operations: Self.operationsPerSequence)
            coverage.merge(seen, uniquingKeysWith: +)
            if !problems.isEmpty, failures < 3 {
                failures += 1
                Issue.record("seed 0x\(String(seed, radix: 16)):\n\(problems.prefix(10).joined(separator: "\n"))")
            }
            // The same seed replays to the same notices.
            var again = try RandomEscalationRun(seed: seed)
            _ = again.check(operations: Self.operationsPerSequence)
            #expect(again.allNotices == run.allNotices, "seed 0x\(String(seed, radix: 16)) is not deterministic")
        }
        #expect(failures == 0)
        for name in ["timeout", "ack", "ackRefused", "unack", "manualResolve", "resolved", "firing", "escalated"] {
            #expect(coverage[name, default: 0] >= 20, "only \(coverage[name, default: 0]) × \(name)")
        }
    }
}

/// One random run over `EscalationConfig` (random repeat count and hysteresis).
struct RandomEscalationRun {
    var rng: SplitMix64
    var driver: EvaluatorDriver
    var minute = 0.0
    var allNotices: [HeraldNotification] = []
    /// Who each episode has told, by episode id (the model the invariants compare with).
    var told: [String: Set<String>] = [:]
    var ids: Set<String> = []
    var problems: [String] = []
    var seen: [String: Int] = [:]
    static let subjects = ["p-1", "p-2"]
    static let actors: [EpisodeActor] = [.user("alice"), .user("bob"), .user("dave"), .user("owner"), .user("ann"),
                                         .user("carol"), .user("erin"), .operator("ops")]

    init(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let config = try EscalationConfig.load(repeatCount: Int.random(in: 0...2, using: &rng),
                                               hysteresis: [0, 2].randomElement(using: &rng)!)
        self.rng = rng
        driver = EvaluatorDriver(config)
    }

    mutating func check(operations: Int) -> ([String], [String: Int]) {
        for step in 0..<operations {
            minute += Double(Int.random(in: 0...12, using: &rng))
            let subject = Self.subjects.randomElement(using: &rng)!
            let key = RuleStateKey(ruleID: "r", subjectID: subject)
            let before = driver.state
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4:
                let value: Double = [0, 5, 9, 12, 20, 29, 31, 45].randomElement(using: &rng)!
                let notices = driver.send(value, at: minute, subject: subject).notifications
                for n in notices where n.transition == .resolved {
                    let expected = told[n.episodeID] ?? []
                    let recipients = n.recipients.map(\.id)
                    if Set(recipients) != expected { problems.append("\(step): resolved to \(recipients), told \(expected.sorted())") }
                }
                record(notices, step: step)
            case 4..<7:
                let outcome = driver.tick(at: minute)
                checkTick(outcome, before: before, step: step)
                record(outcome.notifications, step: step)
            default:
                act(on: key, before: before, step: step)
            }
            checkState(step: step)
        }
        return (problems, seen)
    }

    mutating func act(on key: RuleStateKey, before: EvaluationState, step: Int) {
        guard let ruleState = before.rules[key], ruleState.episode > 0 else { return }
        let episode = ruleState.episodeID(for: key)
        let actor = Self.actors.randomElement(using: &rng)!
        let action = Int.random(in: 0..<4, using: &rng)
        let now = driver.timeline.at(minutes: minute)
        let result: Result<EpisodeActionOutcome, AckError>
        switch action {
        case 0, 1: result = driver.evaluator.acknowledge(episodeID: episode, by: actor, state: &driver.state, now: now)
        case 2: result = driver.evaluator.unacknowledge(episodeID: episode, by: actor, state: &driver.state, now: now)
        default: result = driver.evaluator.resolve(episodeID: episode, by: actor, state: &driver.state, now: now)
        }
        let mayAct: Bool = {
            switch actor {
            case .operator: return true
            case .user(let id): return id == "ann" || (id != "erin" && (told[episode] ?? []).contains(id))
            }
        }()
        switch result {
        case .success(let outcome):
            if ruleState.tier == nil { problems.append("\(step): acted on an ended episode") }
            if !mayAct { problems.append("\(step): \(actor) allowed to act on \(episode)") }
            if action < 2, outcome.state.escalationDueAt != nil { problems.append("\(step): timer still running after ack") }
            seen[action < 2 ? "ack" : action == 2 ? "unack" : "manualResolve", default: 0] += 1
            if action == 3 {
                let expected = told[episode] ?? []
                let notified = Set(outcome.notifications.flatMap(\.recipients).map(\.id))
                if notified != expected { problems.append("\(step): manual resolve told \(notified.sorted()), told were \(expected.sorted())") }
            }
            record(outcome.notifications, step: step)
        case .failure(let error):
            if driver.state != before { problems.append("\(step): a refused action changed the state") }
            if error.code == .notAllowed {
                seen["ackRefused", default: 0] += 1
                if mayAct { problems.append("\(step): \(actor) refused on \(episode)") }
            }
            if error.code == .episodeEnded, ruleState.tier != nil { problems.append("\(step): running episode reported ended") }
        }
    }

    mutating func checkTick(_ outcome: TickOutcome, before: EvaluationState, step: Int) {
        let now = driver.timeline.at(minutes: minute)
        var perKey: [String: Int] = [:]
        for n in outcome.notifications {
            let key = RuleStateKey(ruleID: n.ruleID, subjectID: n.subject.id)
            perKey[n.subject.id, default: 0] += 1
            guard let previous = before.rules[key] else { problems.append("\(step): timeout without a state"); continue }
            if previous.isAcknowledged { problems.append("\(step): timeout fired on an acknowledged episode") }
            if previous.escalationDueAt.map({ $0 > now }) ?? true { problems.append("\(step): timeout fired before it was due") }
            if n.reason != .timeout || n.transition != .escalated { problems.append("\(step): tick sent \(n.transition) \(String(describing: n.reason))") }
            seen["timeout", default: 0] += 1
        }
        if perKey.values.contains(where: { $0 > 1 }) { problems.append("\(step): a tick fired twice for one subject") }
        for (key, state) in driver.state.rules where state.escalationDueAt.map({ $0 <= now }) == true {
            problems.append("\(step): \(key.subjectID) still due after the tick")
        }
    }

    mutating func checkState(step: Int) {
        for (key, state) in driver.state.rules {
            if state.tier == nil, state.escalationDueAt != nil || state.isAcknowledged || !state.told.isEmpty {
                problems.append("\(step): \(key.subjectID) below all tiers keeps episode data")
            }
            if let due = state.escalationDueAt, let entered = state.tierEnteredAt, due < entered {
                problems.append("\(step): \(key.subjectID) timer due before the tier was entered")
            }
            if state.isAcknowledged, state.escalationDueAt != nil { problems.append("\(step): acknowledged with a running timer") }
        }
    }

    mutating func record(_ notices: [HeraldNotification], step: Int) {
        for n in notices {
            if !ids.insert(n.id).inserted { problems.append("\(step): notice id \(n.id) repeated") }
            told[n.episodeID, default: []].formUnion(n.recipients.map(\.id))
            seen[n.transition.rawValue, default: 0] += 1
        }
        allNotices += notices
    }
}
