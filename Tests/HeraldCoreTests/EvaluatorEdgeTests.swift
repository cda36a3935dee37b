import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Edge cases found by review of the state machine, each pinned by one test.
struct EvaluatorEdgeTests {
    /// Cumulative escalation whose new tier names only people already told sends no
    /// notice (a notice to nobody is noise), but the tier counts as told.
    @Test func cumulativeEscalationToPeopleAlreadyToldIsSilent() throws {
        let tiers = [TierSpec(name: "warn", threshold: 10, users: ["alice", "bob"]),
                     TierSpec(name: "high", threshold: 20, users: ["bob"])]
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers, cumulative: true)]))
        #expect(driver.send(12, at: 0).notices == [Notice(.firing, 0, ["alice", "bob"])])
        let escalation = driver.send(25, at: 1)
        #expect(escalation.notices.isEmpty)
        #expect(driver.ruleState()?.tier == 1)
        #expect(driver.ruleState()?.notifiedTiers == [0, 1])
    }

    /// After skipping a tier on the way up and falling back into it, a repeat does not
    /// go to that tier's people: they never had a first notice.
    @Test func repeatSkipsATierThatWasNeverTold() throws {
        var rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        rule.repeatAfter = "10m"
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(25, at: 0).notices == [Notice(.firing, 1, ["bob", "carol"])])
        #expect(driver.send(12, at: 1).notices.isEmpty)     // down to warn: never told
        #expect(driver.send(13, at: 30).notices.isEmpty)    // no repeat to alice and bob
        #expect(driver.send(22, at: 31).notices.isEmpty)    // back to high, already told
        #expect(driver.send(23, at: 45).notices == [Notice(.repeated, 1, ["bob", "carol"])])
    }

    /// A rule removed and added back starts counting episodes again; the episode's start
    /// time keeps its notification ids distinct from the earlier ones.
    @Test func idsStayUniqueWhenARuleComesBack() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        let config = try EvaluatorConfig.load([rule])
        var driver = EvaluatorDriver(config)
        let before = driver.send(12, at: 0).notifications.map(\.id)
        let other = RuleSpec(id: "other", metric: "queue_depth", tiers: [TierSpec(name: "t", threshold: 1, users: ["carol"])])
        driver.reload(try EvaluatorConfig.load([other]))
        _ = driver.state.dropRules(notIn: ["other"])   // what the daemon does on reload
        driver.reload(config)
        let after = driver.send(12, at: 5).notifications.map(\.id)
        #expect(before == ["r/p-1/1@1800000000000/1-firing-t0"])
        #expect(after == ["r/p-1/1@1800000300000/1-firing-t0"])
    }
}

/// Issue #15: a notice says which tier it moved from, so a chat message can read
/// "— escalated from 20%" without the receiver keeping history.
struct PreviousTierTests {
    @Test func escalatedAndDeescalatedNoticesNameTheTierTheyLeft() throws {
        var rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        rule.notifyDeescalated = true
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let firing = try #require(driver.send(12, at: 0).notifications.first)
        #expect(firing.transition == .firing && firing.previousTier == nil)
        // warn → critical, skipping high: the notice names warn, not the skipped tier.
        let escalated = try #require(driver.send(35, at: 1).notifications.first)
        #expect(escalated.transition == .escalated)
        #expect(escalated.previousTier == TierReference(index: 0, name: "warn", threshold: 10))
        let down = try #require(driver.send(25, at: 2).notifications.first)
        #expect(down.transition == .deescalated)
        #expect(down.previousTier == TierReference(index: 2, name: "critical", threshold: 30))
        let resolved = try #require(driver.send(1, at: 3).notifications.first)
        #expect(resolved.transition == .resolved && resolved.previousTier == nil)
    }

    /// The audit document and every webhook carry it as `previousTier`, the same
    /// `{index, name, threshold}` object as `tier`; notices without one leave it out.
    @Test func theNotificationDocumentCarriesIt() throws {
        var rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        rule.notifyDeescalated = true
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        let firing = try #require(driver.send(12, at: 0).notifications.first)
        #expect(NotificationJSON.object(firing)["previousTier"] == nil)
        let escalated = try #require(driver.send(25, at: 1).notifications.first)
        let shown = try #require(NotificationJSON.object(escalated)["previousTier"] as? [String: Any])
        #expect(shown["name"] as? String == "warn" && shown["index"] as? Int == 0 && (shown["threshold"] as? NSNumber)?.doubleValue == 10)
    }
}
