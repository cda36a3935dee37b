import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// A severity a table step names; each direction maps it to a value of its own, so one
/// table exercises `above`, `below` (lower is worse) and `absolute` (negative values).
enum Level: Int, Sendable {
    case none = -1, warn = 0, high = 1, critical = 2

    /// The tier index the level lands in (nil below every tier).
    var tier: Int? { self == .none ? nil : rawValue }

    /// A value clearly inside the level for `direction`, with
    /// `EvaluatorConfig.threeTiers(direction)` thresholds (10/20/30, or 50/30/10 below).
    func value(_ direction: Direction) -> Double {
        switch (direction, self) {
        case (.above, .none): 5
        case (.above, .warn): 12
        case (.above, .high): 25
        case (.above, .critical): 35
        case (.below, .none): 60
        case (.below, .warn): 45
        case (.below, .high): 25
        case (.below, .critical): 5
        case (.absolute, .none): -5
        case (.absolute, .warn): -12
        case (.absolute, .high): -25
        case (.absolute, .critical): -35
        }
    }
}

/// One event of a table case: its level, its minute on the timeline and the exact notices
/// it must produce (empty: none).
struct TableStep: Sendable {
    let level: Level
    let minute: Double
    let expect: [Notice]

    init(_ level: Level, at minute: Double, _ expect: Notice...) {
        self.level = level
        self.minute = minute
        self.expect = expect
    }
}

/// A named row of the transition table: rule options and the steps.
struct TransitionCase: Sendable, CustomTestStringConvertible {
    let name: String
    var cumulative = false
    var repeatAfter: String?
    var notifyResolved = true
    var notifyDeescalated = false
    let steps: [TableStep]

    var testDescription: String { name }
}

// Audiences (see EvaluatorConfig.threeTiers): warn → alice, bob; high → bob, carol; critical → dave.
private let transitionCases: [TransitionCase] = [
    // Staying below every tier is silent and keeps no tier.
    TransitionCase(name: "below all tiers stays silent", steps: [
        TableStep(.none, at: 0), TableStep(.none, at: 1),
    ]),
    // none → warn: `firing` to warn's audience only.
    TransitionCase(name: "firing into the lowest tier", steps: [
        TableStep(.none, at: 0),
        TableStep(.warn, at: 1, Notice(.firing, 0, ["alice", "bob"])),
    ]),
    // none → critical (non-cumulative): only critical's audience hears the firing.
    TransitionCase(name: "firing straight into the top tier", steps: [
        TableStep(.critical, at: 0, Notice(.firing, 2, ["dave"])),
    ]),
    // Staying in the same tier without repeatAfter says nothing, however long it lasts.
    TransitionCase(name: "same tier without repeatAfter never repeats", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.warn, at: 60),
        TableStep(.warn, at: 10_000),
    ]),
    // warn → high: `escalated` to high's audience; bob is named by high too, so he hears it.
    TransitionCase(name: "escalated one tier", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["bob", "carol"])),
    ]),
    // warn → critical skips high: only the reached tier's audience is told.
    TransitionCase(name: "escalated skipping a tier", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["dave"])),
    ]),
    // The full climb: one notice per new tier.
    TransitionCase(name: "escalated through every tier", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["bob", "carol"])),
        TableStep(.critical, at: 2, Notice(.escalated, 2, ["dave"])),
    ]),
    // Falling a tier with deescalation off (the default) moves the state silently.
    TransitionCase(name: "deescalated off is silent", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["dave"])),
        TableStep(.high, at: 2),
    ]),
    // Deescalation on: everyone told so far in the episode, in the order first told.
    TransitionCase(name: "deescalated on tells everyone told", notifyDeescalated: true, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["dave"])),
        TableStep(.high, at: 2, Notice(.deescalated, 1, ["alice", "bob", "dave"])),
    ]),
    // Deescalation on, two tiers down at once: one notice, reported at the tier reached.
    TransitionCase(name: "deescalated on, two tiers at once", notifyDeescalated: true, steps: [
        TableStep(.critical, at: 0, Notice(.firing, 2, ["dave"])),
        TableStep(.warn, at: 1, Notice(.deescalated, 0, ["dave"])),
    ]),
    // Resolve on (the default): everyone told in the episode, once each, at the tier left.
    TransitionCase(name: "resolved on tells everyone told once", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["bob", "carol"])),
        TableStep(.none, at: 2, Notice(.resolved, 1, ["alice", "bob", "carol"])),
    ]),
    // Resolve off: the episode ends silently.
    TransitionCase(name: "resolved off is silent", notifyResolved: false, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.none, at: 1),
    ]),
    // A silent deescalation still counts: resolved reports the tier actually left.
    TransitionCase(name: "resolved after a silent deescalation", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["dave"])),
        TableStep(.high, at: 2),
        TableStep(.none, at: 3, Notice(.resolved, 1, ["alice", "bob", "dave"])),
    ]),
    // After resolved a new episode starts: the next tier is a fresh firing.
    TransitionCase(name: "firing again after resolved", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.none, at: 1, Notice(.resolved, 0, ["alice", "bob"])),
        TableStep(.high, at: 2, Notice(.firing, 1, ["bob", "carol"])),
    ]),
    // Resolve off still ends the episode: the next tier fires again.
    TransitionCase(name: "firing again after a silent resolve", notifyResolved: false, steps: [
        TableStep(.high, at: 0, Notice(.firing, 1, ["bob", "carol"])),
        TableStep(.none, at: 1),
        TableStep(.high, at: 2, Notice(.firing, 1, ["bob", "carol"])),
    ]),
    // Non-cumulative re-escalation to a tier already told in the episode notifies nobody.
    TransitionCase(name: "re-escalation to a told tier is silent", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["bob", "carol"])),
        TableStep(.warn, at: 2),
        TableStep(.high, at: 3),
    ]),
    // ...but climbing past the told tier to a new one tells the new tier.
    TransitionCase(name: "re-escalation beyond told tiers tells the new tier", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["bob", "carol"])),
        TableStep(.warn, at: 2),
        TableStep(.critical, at: 3, Notice(.escalated, 2, ["dave"])),
    ]),
    // repeatAfter 10m: nothing before 10 minutes since the last notice, `repeated` at
    // exactly 10, then again 10 minutes after that repeat (not after the firing).
    TransitionCase(name: "repeated after repeatAfter and not before", repeatAfter: "10m", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.warn, at: 5),
        TableStep(.warn, at: 9.99),
        TableStep(.warn, at: 10, Notice(.repeated, 0, ["alice", "bob"])),
        TableStep(.warn, at: 15),
        TableStep(.warn, at: 19.9),
        TableStep(.warn, at: 20, Notice(.repeated, 0, ["alice", "bob"])),
    ]),
    // Escalation is a notice too: the repeat clock restarts there, and the repeat goes to
    // the current tier's audience.
    TransitionCase(name: "repeat clock restarts at escalation", repeatAfter: "10m", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 8, Notice(.escalated, 1, ["bob", "carol"])),
        TableStep(.high, at: 12),
        TableStep(.high, at: 18, Notice(.repeated, 1, ["bob", "carol"])),
    ]),
    // A long gap below every tier: no repeat of an ended episode, a fresh firing instead.
    TransitionCase(name: "no repeat across episodes", repeatAfter: "10m", steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.none, at: 1, Notice(.resolved, 0, ["alice", "bob"])),
        TableStep(.none, at: 30),
        TableStep(.warn, at: 31, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.warn, at: 32),
    ]),
    // Cumulative firing at the top tier tells every tier's audience, each person once.
    TransitionCase(name: "cumulative firing at tier 3 tells tiers 1-3", cumulative: true, steps: [
        TableStep(.critical, at: 0, Notice(.firing, 2, ["alice", "bob", "carol", "dave"])),
    ]),
    // Cumulative firing at tier 2 tells tiers 1-2; escalation then tells only tier 3.
    TransitionCase(name: "cumulative firing at tier 2", cumulative: true, steps: [
        TableStep(.high, at: 0, Notice(.firing, 1, ["alice", "bob", "carol"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["dave"])),
    ]),
    // Cumulative escalation tells only people not told yet: bob heard the firing.
    TransitionCase(name: "cumulative escalation tells only the untold", cumulative: true, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["carol"])),
        TableStep(.critical, at: 2, Notice(.escalated, 2, ["dave"])),
    ]),
    // Cumulative escalation skipping a tier tells the skipped tier's untold people too.
    TransitionCase(name: "cumulative escalation skipping a tier", cumulative: true, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.critical, at: 1, Notice(.escalated, 2, ["carol", "dave"])),
    ]),
    // Cumulative re-escalation to tiers all told in this episode notifies nobody.
    TransitionCase(name: "cumulative re-escalation is silent", cumulative: true, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["carol"])),
        TableStep(.warn, at: 2),
        TableStep(.high, at: 3),
    ]),
    // Cumulative repeat goes to every tier up to the current one.
    TransitionCase(name: "cumulative repeat tells tiers up to the current", cumulative: true, repeatAfter: "10m", steps: [
        TableStep(.high, at: 0, Notice(.firing, 1, ["alice", "bob", "carol"])),
        TableStep(.high, at: 10, Notice(.repeated, 1, ["alice", "bob", "carol"])),
    ]),
    // Cumulative resolve tells everyone told in the episode, once each.
    TransitionCase(name: "cumulative resolved tells everyone told", cumulative: true, steps: [
        TableStep(.warn, at: 0, Notice(.firing, 0, ["alice", "bob"])),
        TableStep(.high, at: 1, Notice(.escalated, 1, ["carol"])),
        TableStep(.critical, at: 2, Notice(.escalated, 2, ["dave"])),
        TableStep(.none, at: 3, Notice(.resolved, 2, ["alice", "bob", "carol", "dave"])),
    ]),
]

/// The transition table, run in every direction.
@Suite struct EvaluatorTransitionTests {
    @Test(arguments: transitionCases, Direction.allCases)
    func transitionTable(_ row: TransitionCase, _ direction: Direction) throws {
        let rule = RuleSpec(direction: direction, tiers: EvaluatorConfig.threeTiers(direction), cumulative: row.cumulative,
                            repeatAfter: row.repeatAfter, notifyResolved: row.notifyResolved, notifyDeescalated: row.notifyDeescalated)
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        for (index, step) in row.steps.enumerated() {
            let value = step.level.value(direction)
            let outcome = driver.send(value, at: step.minute)
            #expect(outcome.notices == step.expect, "step \(index + 1): value \(value) at minute \(step.minute)")
            #expect(outcome.rules.count == 1)
            #expect(outcome.rules.first?.tier?.index == step.level.tier, "step \(index + 1): tier after \(value)")
            #expect(driver.ruleState()?.tier == step.level.tier, "step \(index + 1): stored tier after \(value)")
            let status = outcome.rules.first?.status
            #expect(status == .changed || status == .unchanged)
        }
    }

    /// Ids follow `rule/subject/episode@startMillis/noticeNumber-transition-tTier`; the notice number
    /// restarts with each episode, the episode number never does.
    @Test func notificationIDsFollowTheEpisode() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let ids = [12.0, 25, 35, 5, 25, 5].enumerated().map { minute, value in
            driver.send(value, at: Double(minute)).notifications.map(\.id)
        }
        #expect(ids == [
            ["r/p-1/1@1800000000000/1-firing-t0"], ["r/p-1/1@1800000000000/2-escalated-t1"], ["r/p-1/1@1800000000000/3-escalated-t2"], ["r/p-1/1@1800000000000/4-resolved-t2"],
            ["r/p-1/2@1800000240000/1-firing-t1"], ["r/p-1/2@1800000240000/2-resolved-t1"],
        ])
        #expect(driver.ruleState()?.episode == 2)
    }

    /// `/` and `%` in subject ids (which producers choose) are escaped so ids of different
    /// pairs never collide. Rule ids cannot hold either: the config refuses them (#17 item 9).
    @Test func notificationIDsEscapeSeparators() throws {
        var rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        rule.id = "a.b:c"
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let first = driver.send(12, at: 0, subject: "x/y%z").notifications.map(\.id)
        #expect(first == ["a.b:c/x%2Fy%25z/1@1800000000000/1-firing-t0"])
    }

    /// Absolute direction with the sign changing from event to event: only |value| counts.
    @Test func absoluteIgnoresTheSign() throws {
        let rule = RuleSpec(direction: .absolute, tiers: EvaluatorConfig.threeTiers(.absolute))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let steps: [(Double, [Notice])] = [
            (12, [Notice(.firing, 0, ["alice", "bob"])]),   // +12 → warn
            (-12, []),                                      // −12: same tier
            (-25, [Notice(.escalated, 1, ["bob", "carol"])]), // −25 → high
            (35, [Notice(.escalated, 2, ["dave"])]),         // +35 → critical
            (-30, []),                                      // −30 is exactly the critical threshold
            (9.99, [Notice(.resolved, 2, ["alice", "bob", "carol", "dave"])]), // below 10
        ]
        for (minute, (value, expected)) in steps.enumerated() {
            #expect(driver.send(value, at: Double(minute)).notices == expected, "value \(value)")
        }
    }

    /// Thresholds are inclusive in every direction: exactly the threshold is in the tier.
    @Test(arguments: [(Direction.above, 10.0), (.below, 50), (.absolute, -10), (.absolute, 10)])
    func thresholdIsInclusive(_ direction: Direction, _ value: Double) throws {
        let rule = RuleSpec(direction: direction, tiers: EvaluatorConfig.threeTiers(direction))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(value, at: 0).notices == [Notice(.firing, 0, ["alice", "bob"])])
    }

    /// A notification carries the rule, tier (name and threshold), event, subject, the
    /// episode, when it happened and the excluded people with reasons.
    @Test func notificationCarriesItsContext() throws {
        let rule = RuleSpec(tiers: [TierSpec(name: "warn", threshold: 10, users: ["alice", "erin"])])
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let outcome = driver.send(12, at: 3, subject: "p-9", id: "e-1")
        let notification = try #require(outcome.notifications.first)
        #expect(notification.ruleID == "r")
        #expect(notification.ruleName == "r")
        #expect(notification.tier == TierReference(index: 0, name: "warn", threshold: 10))
        #expect(notification.transition == .firing)
        #expect(notification.episode == 1)
        #expect(notification.episodeID == "r/p-9/1@1800000180000")
        #expect(notification.event == outcome.event)
        #expect(notification.subject.id == "p-9")
        #expect(notification.occurredAt == driver.timeline.at(minutes: 3))
        #expect(notification.recipients == [NotifiedPerson(id: "alice", name: "Alice", path: "user:alice")])
        #expect(notification.excluded == [ExcludedPerson(id: "erin", name: "Erin", path: "user:erin", reason: "inactive")])
    }

    /// Subjects have separate state: one subject's episode does not touch another's.
    @Test func subjectsAreIndependent() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(25, at: 0, subject: "p-1").notices == [Notice(.firing, 1, ["bob", "carol"])])
        #expect(driver.send(12, at: 1, subject: "p-2").notices == [Notice(.firing, 0, ["alice", "bob"])])
        #expect(driver.send(5, at: 2, subject: "p-1").notices == [Notice(.resolved, 1, ["bob", "carol"])])
        #expect(driver.ruleState(subject: "p-2")?.tier == 0)
        #expect(driver.ruleState(subject: "p-1")?.tier == nil)
    }

    /// Every rule whose metric and labels match evaluates the event; others do not.
    @Test func onlyMatchingRulesEvaluate() throws {
        let tiers = EvaluatorConfig.threeTiers(.above)
        let config = try EvaluatorConfig.load([
            RuleSpec(id: "a", tiers: tiers),
            RuleSpec(id: "b", tiers: [TierSpec(name: "low", threshold: 1, users: ["carol"])]),
            RuleSpec(id: "c", metric: "other", tiers: tiers),
        ])
        var driver = EvaluatorDriver(config)
        let outcome = driver.send(12, at: 0)
        #expect(outcome.rules.map(\.ruleID) == ["a", "b"])
        #expect(outcome.notifications.map(\.id) == ["a/p-1/1@1800000000000/1-firing-t0", "b/p-1/1@1800000000000/1-firing-t0"])
        #expect(driver.send(12, at: 1, metric: "unknown").rules.isEmpty)
    }
}
