import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// A flapping sequence around one threshold and the exact notices each value causes.
struct FlapCase: Sendable, CustomTestStringConvertible {
    let name: String
    let direction: Direction
    let margin: Double
    /// (value, notices) per event, one minute apart.
    let steps: [(Double, [Notice])]

    var testDescription: String { name }
}

private let fire = [Notice(.firing, 0, ["alice"])]
private let resolve = [Notice(.resolved, 0, ["alice"])]

// One tier at 10 telling alice. Leaving needs the value beyond threshold − margin (in the
// rule's direction); entering needs the threshold itself.
private let flapCases: [FlapCase] = [
    // Above, margin 1: 9.5 and 10.2 hover inside the band, only 8.9 (< 9) leaves.
    FlapCase(name: "above with margin: one firing, one resolved", direction: .above, margin: 1, steps: [
        (9.9, []), (10.1, fire), (9.5, []), (10.2, []), (8.9, resolve),
    ]),
    // Above, no margin: every crossing is a transition, so the same values flap twice.
    FlapCase(name: "above without margin flaps", direction: .above, margin: 0, steps: [
        (9.9, []), (10.1, fire), (9.5, resolve), (10.2, fire), (8.9, resolve),
    ]),
    // Below (lower is worse), margin 1: leaving needs a value above 11.
    FlapCase(name: "below with margin: one firing, one resolved", direction: .below, margin: 1, steps: [
        (10.1, []), (9.9, fire), (10.5, []), (9.8, []), (11.1, resolve),
    ]),
    // Below, no margin: the mirrored sequence flaps.
    FlapCase(name: "below without margin flaps", direction: .below, margin: 0, steps: [
        (10.1, []), (9.9, fire), (10.5, resolve), (9.8, fire), (11.1, resolve),
    ]),
    // Absolute, margin 1, with the sign changing: |value| hovers between 9 and 10.
    FlapCase(name: "absolute with margin: one firing, one resolved", direction: .absolute, margin: 1, steps: [
        (-9.9, []), (-10.1, fire), (9.5, []), (-10.2, []), (-9.4, []), (8.9, resolve),
    ]),
    // Absolute, no margin: the same values flap.
    FlapCase(name: "absolute without margin flaps", direction: .absolute, margin: 0, steps: [
        (-9.9, []), (-10.1, fire), (9.5, resolve), (-10.2, fire), (-9.4, resolve), (8.9, []),
    ]),
    // Entering needs no margin: the threshold itself fires, the band alone does not.
    FlapCase(name: "margin does not lower the entry threshold", direction: .above, margin: 1, steps: [
        (9.5, []), (9.99, []), (10, fire), (8.9, resolve),
    ]),
    // Exactly threshold − margin still holds the tier; just beyond it leaves.
    FlapCase(name: "above: threshold minus margin holds", direction: .above, margin: 1, steps: [
        (10, fire), (9, []), (8.99, resolve),
    ]),
    // Below: exactly threshold + margin holds; just beyond leaves.
    FlapCase(name: "below: threshold plus margin holds", direction: .below, margin: 1, steps: [
        (10, fire), (11, []), (11.01, resolve),
    ]),
    // Absolute: |value| exactly threshold − margin holds, whatever the sign.
    FlapCase(name: "absolute: threshold minus margin holds", direction: .absolute, margin: 1, steps: [
        (-10, fire), (9, []), (-9, []), (-8.99, resolve),
    ]),
    // A margin wider than the threshold itself keeps the tier down to zero: per the rule
    // "leaving needs the value beyond threshold − margin", 0 is not beyond −5.
    FlapCase(name: "margin wider than the threshold", direction: .above, margin: 15, steps: [
        (10, fire), (0, []), (-4.9, []), (-5.1, resolve),
    ]),
]

/// Hysteresis: values hovering around a threshold must not flap.
@Suite struct EvaluatorHysteresisTests {
    @Test(arguments: flapCases)
    func flappingSequence(_ row: FlapCase) throws {
        let tiers = [TierSpec(name: "t", threshold: 10, users: ["alice"])]
        let rule = RuleSpec(direction: row.direction, tiers: tiers, hysteresis: row.margin)
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        var all: [Notice] = []
        for (minute, (value, expected)) in row.steps.enumerated() {
            let outcome = driver.send(value, at: Double(minute))
            #expect(outcome.notices == expected, "value \(value) (step \(minute + 1))")
            all += outcome.notices
        }
        let firings = all.filter { $0.transition == .firing }.count
        #expect(firings == all.filter { $0.transition == .resolved }.count)
        if row.margin > 0 { #expect(firings == 1, "hysteresis must stop the flapping") }
    }

    /// Hysteresis applies between tiers too: falling from high needs a value below
    /// 20 − 1; while hovering in the band the state stays high and nobody hears anything.
    @Test func hysteresisBetweenTiers() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above), hysteresis: 1, notifyDeescalated: true)
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let steps: [(Double, [Notice], Int?)] = [
            (12, [Notice(.firing, 0, ["alice", "bob"])], 0),
            (21, [Notice(.escalated, 1, ["bob", "carol"])], 1),
            (19.5, [], 1),      // inside high's band: held
            (20.5, [], 1),
            (19, [], 1),        // exactly 20 − 1: still held
            (18.9, [Notice(.deescalated, 0, ["alice", "bob", "carol"])], 0),
            (19.5, [], 0),      // raw tier is warn; high is not re-entered below 20
            (20, [], 1),        // back into high: told already this episode, so silent
            // Below high's band; warn's band (≥ 9) holds warn: a second deescalation.
            (9.5, [Notice(.deescalated, 0, ["alice", "bob", "carol"])], 0),
            (8.9, [Notice(.resolved, 0, ["alice", "bob", "carol"])], nil),
        ]
        for (minute, (value, expected, tier)) in steps.enumerated() {
            let outcome = driver.send(value, at: Double(minute))
            #expect(outcome.notices == expected, "value \(value)")
            #expect(driver.ruleState()?.tier == tier, "tier after \(value)")
        }
    }

    /// Escalating straight through a band is not slowed by the margin: 31 reaches
    /// critical from warn at once.
    @Test func escalationIgnoresTheMargin() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above), hysteresis: 5)
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(12, at: 0).notices == [Notice(.firing, 0, ["alice", "bob"])])
        #expect(driver.send(30, at: 1).notices == [Notice(.escalated, 2, ["dave"])])
        #expect(driver.send(25.1, at: 2).notices == [])
        #expect(driver.ruleState()?.tier == 2)
    }

    /// A value held in the band is "the same tier" for repeats: the repeat still comes.
    @Test func heldTierStillRepeats() throws {
        let tiers = [TierSpec(name: "t", threshold: 10, users: ["alice"])]
        let rule = RuleSpec(tiers: tiers, hysteresis: 1, repeatAfter: "30m")
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(10.5, at: 0).notices == fire)
        #expect(driver.send(9.5, at: 29).notices == [])
        let held = driver.send(9.5, at: 30)
        #expect(held.notices == [Notice(.repeated, 0, ["alice"])])
        #expect(held.rules.first?.status == .changed)
    }
}
