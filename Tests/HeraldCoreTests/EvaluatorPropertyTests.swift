import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Random small configs and event sequences (seeded, replayable), checked against
/// invariants the tier state machine must keep whatever the input.
@Suite struct EvaluatorPropertyTests {
    /// Bounds of the run: enough to hit every transition many times, small enough to
    /// finish in well under a second.
    static let sequences = 300
    static let eventsPerSequence = 40
    /// First seed; sequence `i` uses `baseSeed + i`, printed in every failure message.
    static let baseSeed: UInt64 = 0x4845_5241_4C44_0000
    /// Stops recording after this many broken sequences so one bug does not flood the log.
    static let maxReportedFailures = 5

    @Test func invariantsHoldForRandomSequences() throws {
        var reported = 0
        var coverage: [String: Int] = [:]
        for index in 0..<Self.sequences {
            let seed = Self.baseSeed &+ UInt64(index)
            let scenario = try RandomScenario(seed: seed, events: Self.eventsPerSequence)
            let (problems, seen) = scenario.check()
            coverage.merge(seen, uniquingKeysWith: +)
            if !problems.isEmpty, reported < Self.maxReportedFailures {
                reported += 1
                let listed = problems.prefix(10).joined(separator: "\n")
                Issue.record("seed 0x\(String(seed, radix: 16)):\n\(scenario.rulesDescription)\n\(listed)")
            }
        }
        #expect(reported == 0, "replay a failing sequence with RandomScenario(seed:events:)")
        // The generator must reach every case the invariants talk about, or they prove little.
        // `acknowledged` comes only from a person acting (Evaluator.acknowledge), never from events.
        let cases = Transition.allCases.filter { $0 != .acknowledged }.map(\.rawValue)
            + ["outOfOrder", "duplicate", "held", "cumulativeEscalation", "rederived"]
        for name in cases {
            #expect(coverage[name, default: 0] >= 20, "only \(coverage[name, default: 0]) × \(name) in the whole run")
        }
    }

    /// The generator itself is deterministic: a seed always makes the same scenario.
    @Test func scenariosAreReproducible() throws {
        let a = try RandomScenario(seed: 42, events: 10)
        let b = try RandomScenario(seed: 42, events: 10)
        #expect(a.rulesDescription == b.rulesDescription)
        #expect(a.steps.map(\.layout) == b.steps.map(\.layout))
        #expect(a.steps.map(\.event) == b.steps.map(\.event))
        #expect(a.steps.map(\.now) == b.steps.map(\.now))
        #expect(try RandomScenario(seed: 43, events: 10).steps.map(\.event) != a.steps.map(\.event))
    }
}

/// One random config (one or two rules on the same metric) and one random sequence of
/// events for two subjects: values around the thresholds (with random signs), clock
/// steps of 0–10 minutes, some late timestamps, some missing timestamps, some repeated ids.
/// Half the scenarios also reload now and then between the config and a second layout
/// of the same rules (thresholds shifted, sometimes the top tier removed).
struct RandomScenario {
    struct Step {
        let event: MetricEvent
        let now: Date
        /// Which layout (index into `layouts`) is loaded when the event arrives.
        let layout: Int
    }

    /// The original rules and their reloaded variant.
    let layouts: [[RuleSpec]]
    let configs: [HeraldConfig]
    let steps: [Step]

    var rules: [RuleSpec] { layouts[0] }

    init(seed: UInt64, events count: Int) throws {
        var rng = SplitMix64(seed: seed)
        let rules = (0..<Int.random(in: 1...2, using: &rng)).map { Self.randomRule(id: "r\($0)", using: &rng) }
        let shifted = rules.map { Self.shifted($0, using: &rng) }
        layouts = [rules, shifted]
        configs = [try EvaluatorConfig.load(rules), try EvaluatorConfig.load(shifted)]
        let reloads = Bool.random(using: &rng)
        var layout = 0
        let start = Timeline().start
        var clock = 0.0
        var ids: [String] = []
        var steps: [Step] = []
        for n in 0..<count {
            clock += Double(Int.random(in: 0...10, using: &rng))
            if reloads, Int.random(in: 0..<8, using: &rng) == 0 { layout = 1 - layout }
            let rule = rules.randomElement(using: &rng)!
            let threshold = rule.tiers.randomElement(using: &rng)!.threshold
            var value = threshold + [-7, -2.5, -1, -0.5, 0, 0.5, 1, 3, 8].randomElement(using: &rng)!
            if Int.random(in: 0..<10, using: &rng) < 3 { value = -value }
            let roll = Int.random(in: 0..<10, using: &rng)
            let timestamp: Double? = roll < 8 ? clock : roll == 8 ? clock - Double(Int.random(in: 1...30, using: &rng)) : nil
            let idRoll = Int.random(in: 0..<10, using: &rng)
            let id: String? = idRoll < 7 ? "e-\(n)" : (idRoll == 7 && !ids.isEmpty) ? ids.randomElement(using: &rng)! : nil
            if let id { ids.append(id) }
            let event = TestEvent.make(value: value, subject: ["p-1", "p-2"].randomElement(using: &rng)!,
                                       at: timestamp.map { start.addingTimeInterval($0 * 60) }, id: id)
            steps.append(Step(event: event, now: start.addingTimeInterval(clock * 60), layout: layout))
        }
        self.steps = steps
    }

    private static func randomRule(id: String, using rng: inout SplitMix64) -> RuleSpec {
        let direction = Direction.allCases.randomElement(using: &rng)!
        var threshold = Double(Int.random(in: 5...15, using: &rng)) + (direction == .below ? 40 : 0)
        var tiers: [TierSpec] = []
        for t in 0..<Int.random(in: 1...3, using: &rng) {
            var users = EvaluatorConfig.people.filter { _ in Bool.random(using: &rng) }
            if users.isEmpty { users = [EvaluatorConfig.people.randomElement(using: &rng)!] }
            tiers.append(TierSpec(name: "t\(t)", threshold: threshold, users: users))
            let gap = Double(Int.random(in: 3...10, using: &rng))
            threshold += direction == .below ? -gap : gap
        }
        return RuleSpec(id: id, direction: direction, tiers: tiers, cumulative: Bool.random(using: &rng),
                        hysteresis: [0, 0, 0.5, 2, 6].randomElement(using: &rng)!,
                        repeatAfter: [nil, nil, "5m", "20m"].randomElement(using: &rng)!,
                        notifyResolved: Bool.random(using: &rng), notifyDeescalated: Bool.random(using: &rng))
    }

    /// The same rule with every threshold moved by the same step (order kept) and, for
    /// rules with several tiers, sometimes without its top tier.
    private static func shifted(_ rule: RuleSpec, using rng: inout SplitMix64) -> RuleSpec {
        let offset = [-4.0, -2, 2, 4].randomElement(using: &rng)!
        var result = rule
        result.tiers = rule.tiers.map { TierSpec(name: $0.name, threshold: $0.threshold + offset, users: $0.users) }
        if result.tiers.count > 1, Bool.random(using: &rng) { result.tiers.removeLast() }
        return result
    }

    var rulesDescription: String {
        layouts.enumerated().map { "layout \($0):\n" + $1.map(\.json).joined(separator: "\n") }.joined(separator: "\n")
    }

    private func specs(_ layout: Int) -> [String: RuleSpec] {
        Dictionary(uniqueKeysWithValues: layouts[layout].map { ($0.id, $0) })
    }

    /// Runs the sequence and returns every broken invariant (empty: all hold) and how
    /// often each kind of case occurred.
    func check() -> (problems: [String], seen: [String: Int]) {
        var checker = InvariantChecker(rules: specs(0))
        let evaluators = configs.map { Evaluator(config: $0) }
        var state = EvaluationState()
        var outcomes: [EventOutcome] = []
        for (index, step) in steps.enumerated() {
            let before = state
            checker.rules = specs(step.layout)
            let outcome = evaluators[step.layout].evaluate(step.event, state: &state, now: step.now)
            checker.check(step: index, outcome, before: before, after: state, now: step.now)
            outcomes.append(outcome)
        }

        // Replaying the same sequence from the start gives the same outcomes and state.
        var replayed = EvaluationState()
        let replayOutcomes = steps.map { Evaluator(config: configs[$0.layout]).evaluate($0.event, state: &replayed, now: $0.now) }
        if replayed != state { checker.problems.append("state after replay differs from the state after the run") }
        if replayOutcomes != outcomes { checker.problems.append("outcomes of the replay differ from the run's") }

        // Posting every event that has an id again (still inside the day-long window)
        // changes nothing: each is a duplicate.
        let last = steps.last!.now
        var again = state
        for step in steps where step.event.id != nil {
            let outcome = evaluators[step.layout].evaluate(step.event, state: &again, now: last)
            if !outcome.duplicate { checker.problems.append("re-posted \(step.event.id!) was not a duplicate") }
        }
        if again != state { checker.problems.append("re-posting seen ids changed the state") }
        return (checker.problems, checker.seen)
    }
}

/// Checks each outcome against the invariants and an independent model of tier maths.
struct InvariantChecker {
    /// The rules as currently loaded (changes at reloads).
    var rules: [String: RuleSpec]
    var problems: [String] = []
    /// Every notification id of the run.
    private var ids: Set<String> = []
    /// Episode id → (person → tiers they heard firing/escalated for).
    private var toldTiers: [String: [String: Set<Int>]] = [:]
    /// Episode id → everyone who received any notice in it.
    private var toldInEpisode: [String: Set<String>] = [:]
    /// Episodes that ended with a resolved notice.
    private var closed: Set<String> = []
    /// How often each transition and special case occurred (coverage of the generator).
    var seen: [String: Int] = [:]

    init(rules: [String: RuleSpec]) { self.rules = rules }

    mutating func check(step: Int, _ outcome: EventOutcome, before: EvaluationState, after: EvaluationState, now: Date) {
        let at = "step \(step) (value \(outcome.event.value), subject \(outcome.event.subject.id))"
        if outcome.duplicate {
            seen["duplicate", default: 0] += 1
            if !outcome.rules.isEmpty || before != after { problems.append("\(at): a duplicate changed something") }
            return
        }
        for ruleOutcome in outcome.rules {
            let key = RuleStateKey(ruleID: ruleOutcome.ruleID, subjectID: ruleOutcome.subjectID)
            guard let rule = rules[ruleOutcome.ruleID] else { continue }
            let where_ = "\(at) rule \(rule.id)"
            if ruleOutcome.status == .rederived {
                seen["rederived", default: 0] += 1
                if !ruleOutcome.notifications.isEmpty { problems.append("\(where_): a re-derivation notified") }
            }
            if ruleOutcome.status == .outOfOrder {
                seen["outOfOrder", default: 0] += 1
                if before.rules[key] != after.rules[key] || !ruleOutcome.notifications.isEmpty {
                    problems.append("\(where_): an out-of-order event changed the state or notified")
                }
                continue
            }
            if ruleOutcome.notifications.count > 1 { problems.append("\(where_): more than one notice for one event") }
            checkTier(ruleOutcome, rule: rule, value: outcome.event.value, at: where_)
            for notification in ruleOutcome.notifications {
                checkNotification(notification, ruleOutcome, rule: rule, previous: before.rules[key], now: now, at: where_)
            }
        }
    }

    /// The tier agrees with an independent computation: without a margin it is exactly
    /// the highest tier reached; with one it is at least that, and the value is within
    /// the margin of its threshold.
    private mutating func checkTier(_ outcome: RuleOutcome, rule: RuleSpec, value: Double, at: String) {
        func reaches(_ threshold: Double, margin: Double) -> Bool {
            switch rule.direction {
            case .above: value >= threshold - margin
            case .below: value <= threshold + margin
            case .absolute: abs(value) >= threshold - margin
            }
        }
        let raw = rule.tiers.indices.last { reaches(rule.tiers[$0].threshold, margin: 0) }
        let tier = outcome.tier?.index
        if rule.hysteresis == 0 {
            if tier != raw { problems.append("\(at): tier \(String(describing: tier)), expected \(String(describing: raw))") }
        } else if let raw, (tier ?? -1) < raw {
            problems.append("\(at): tier \(String(describing: tier)) below the reached tier \(raw)")
        } else if let tier, !reaches(rule.tiers[tier].threshold, margin: rule.hysteresis) {
            problems.append("\(at): tier \(tier) held although the value is beyond its margin")
        } else if let tier, tier != raw {
            seen["held", default: 0] += 1
        }
    }

    private mutating func checkNotification(_ n: HeraldNotification, _ outcome: RuleOutcome, rule: RuleSpec,
                                            previous: RuleState?, now: Date, at: String) {
        seen[n.transition.rawValue, default: 0] += 1
        if rule.cumulative, n.transition == .escalated { seen["cumulativeEscalation", default: 0] += 1 }
        if !ids.insert(n.id).inserted { problems.append("\(at): notification id \(n.id) used twice") }
        let episode = n.episodeID
        let recipients = n.recipients.map(\.id)
        // The tier before the event, clamped like the evaluator does when a reload
        // removed it (the outcome's previousTier is nil then: that tier no longer exists).
        let from = previous?.tier.map { min($0, rule.tiers.count - 1) }
        let to = outcome.tier?.index
        if Set(recipients).count != recipients.count { problems.append("\(at): \(n.id) lists someone twice") }
        if closed.contains(episode) { problems.append("\(at): \(n.id) belongs to an episode already resolved") }
        if n.transition != .firing, toldInEpisode[episode] == nil { problems.append("\(at): \(n.id) in an episode that never fired") }
        switch n.transition {
        case .firing, .escalated:
            let expectedShape = n.transition == .firing ? (from == nil && to != nil) : (from != nil && to != nil && to! > from!)
            if !expectedShape { problems.append("\(at): \(n.transition) from \(String(describing: from)) to \(String(describing: to))") }
            if n.transition == .firing, toldInEpisode[episode] != nil { problems.append("\(at): a second firing in \(episode)") }
            for person in recipients {
                if toldTiers[episode, default: [:]][person, default: []].contains(n.tier.index) {
                    problems.append("\(at): \(person) told twice for tier \(n.tier.index) in \(episode)")
                }
                if rule.cumulative, toldInEpisode[episode]?.contains(person) == true {
                    problems.append("\(at): cumulative rule told \(person) again in \(episode)")
                }
                toldTiers[episode, default: [:]][person, default: []].insert(n.tier.index)
            }
        case .resolved, .deescalated:
            let told = toldInEpisode[episode] ?? []
            if !Set(recipients).isSubset(of: told) {
                problems.append("\(at): \(n.transition) to \(recipients) but only \(told.sorted()) were told in \(episode)")
            }
            if n.transition == .resolved {
                if Set(recipients) != told { problems.append("\(at): resolved to \(recipients), told were \(told.sorted())") }
                if !rule.notifyResolved || to != nil { problems.append("\(at): unexpected resolved") }
                closed.insert(episode)
            } else if !rule.notifyDeescalated || to == nil || from == nil || to! >= from! || n.tier.index != to {
                problems.append("\(at): unexpected deescalated from \(String(describing: from)) to \(String(describing: to))")
            }
        case .acknowledged:
            problems.append("\(at): evaluating an event sent an acknowledged notice")
        case .repeated:
            let due = rule.repeatAfter.flatMap(Duration.init(parsing:)).map(\.seconds)
            let last = previous?.lastNoticeAt
            let time = outcome.state?.lastEventAt ?? now
            if from != to || due == nil || last == nil || time.timeIntervalSince(last!) < due! {
                problems.append("\(at): repeated although not due (last notice \(String(describing: last)))")
            }
        }
        toldInEpisode[episode, default: []].formUnion(recipients)
    }
}
