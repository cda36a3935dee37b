import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// State across a config reload: kept for unchanged rules, dropped for removed ones,
/// re-derived when a rule's tier layout changed (judged from the tier the episode stood
/// at: climbing into an untold tier notifies, staying or falling is silent).
@Suite struct EvaluatorReloadTests {
    private func tiers(_ thresholds: [Double]) -> [TierSpec] {
        zip(EvaluatorConfig.threeTiers(.above), thresholds).map { TierSpec(name: $0.name, threshold: $1, users: $0.users) }
    }

    /// The same rule in a reloaded config (other parts changed): the episode goes on,
    /// no second firing, later transitions continue its numbering.
    @Test func unchangedRuleKeepsItsEpisode() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule]))
        #expect(driver.send(12, at: 0).notices == [Notice(.firing, 0, ["alice", "bob"])])
        let other = RuleSpec(id: "other", metric: "queue_depth", tiers: [TierSpec(name: "t", threshold: 1, users: ["carol"])])
        driver.reload(try EvaluatorConfig.load([other, rule], extraUsers: ["frank"]))

        let same = driver.send(13, at: 1)
        #expect(same.notices.isEmpty)
        #expect(same.rules.map(\.status) == [.unchanged])
        #expect(driver.send(25, at: 2).notifications.map(\.id) == ["r/p-1/1@1800000000000/2-escalated-t1"])
        #expect(driver.send(5, at: 3).notices == [Notice(.resolved, 1, ["alice", "bob", "carol"])])
    }

    /// Changing who a tier tells is not a layout change: no re-derivation, no notice;
    /// the new audience hears the next transition.
    @Test func audienceChangeIsNotALayoutChange() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))]))
        driver.send(12, at: 0)
        var changed = EvaluatorConfig.threeTiers(.above)
        changed[1] = TierSpec(name: "high", threshold: 20, users: ["dave"])
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: changed)]))
        let same = driver.send(12, at: 1)
        #expect(same.rules.map(\.status) == [.unchanged])
        #expect(same.notices.isEmpty)
        #expect(driver.send(25, at: 2).notices == [Notice(.escalated, 1, ["dave"])])
    }

    /// A removed rule's state is dropped (every subject), the remaining rules' state is
    /// kept, and the removed rule no longer evaluates anything.
    @Test func removedRuleDropsItsState() throws {
        let kept = RuleSpec(id: "kept", tiers: EvaluatorConfig.threeTiers(.above))
        let removed = RuleSpec(id: "removed", tiers: EvaluatorConfig.threeTiers(.above))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([kept, removed]))
        driver.send(12, at: 0, subject: "p-1")
        driver.send(25, at: 0, subject: "p-2")
        #expect(driver.state.rules.count == 4)

        let reloaded = try EvaluatorConfig.load([kept])
        driver.reload(reloaded)
        let dropped = driver.state.dropRules(notIn: Set(reloaded.rules.map(\.id)))
        #expect(dropped == [RuleStateKey(ruleID: "removed", subjectID: "p-1"), RuleStateKey(ruleID: "removed", subjectID: "p-2")])
        #expect(driver.state.rules.keys.sorted() == [RuleStateKey(ruleID: "kept", subjectID: "p-1"), RuleStateKey(ruleID: "kept", subjectID: "p-2")])
        #expect(driver.ruleState("kept", subject: "p-2")?.tier == 1)

        let next = driver.send(35, at: 1, subject: "p-2")
        #expect(next.rules.map(\.ruleID) == ["kept"])
        #expect(next.notices == [Notice(.escalated, 2, ["dave"])])
        #expect(driver.state.dropRules(notIn: ["kept"]).isEmpty)
    }

    /// Thresholds moved (10/20/30 → 5/15/25) under a running episode told only `warn`:
    /// the next event (16) is in `high` under the new layout, whose audience has not
    /// been told, so `high` is told now; the episode then continues normally.
    @Test func changedThresholdsClimbIntoAnUntoldTierNotifies() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(12, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([5, 15, 25]))]))

        let climbed = driver.send(16, at: 1)
        #expect(climbed.notices == [Notice(.escalated, 1, ["bob", "carol"])])
        #expect(climbed.rules.first?.previousTier == TierReference(index: 0, name: "warn", threshold: 5))
        #expect(climbed.rules.first?.tier == TierReference(index: 1, name: "high", threshold: 15))
        #expect(driver.ruleState()?.notifiedTiers == [0, 1])

        let next = driver.send(16, at: 2)
        #expect(next.rules.map(\.status) == [.unchanged])
        #expect(driver.send(26, at: 3).notifications.map(\.id) == ["r/p-1/1@1800000000000/3-escalated-t2"])
        #expect(driver.send(3, at: 4).notices == [Notice(.resolved, 2, ["alice", "bob", "carol", "dave"])])
    }

    /// The trial that found #17 item 1: at `warn` (12), the operator lowers `high` from
    /// 20 to 18 and reloads; the next event (25) must tell `high`, not be absorbed.
    @Test func loweredThresholdDoesNotSwallowTheEscalation() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        #expect(driver.send(12, at: 0).notices == [Notice(.firing, 0, ["alice", "bob"])])
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 18, 30]))]))
        #expect(driver.state.rederivations(under: driver.evaluator.config).map(\.tier.name) == ["warn"])
        #expect(driver.send(25, at: 1).notices == [Notice(.escalated, 1, ["bob", "carol"])])
        #expect(driver.state.rederivations(under: driver.evaluator.config).isEmpty, "adopted at the event")
    }

    /// A cumulative rule: the climb after the reload tells the new tier's people who
    /// were not told yet (bob heard `warn` already).
    @Test func loweredThresholdCumulativeTellsOnlyTheNewPeople() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]), cumulative: true)]))
        driver.send(12, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 18, 30]), cumulative: true)]))
        #expect(driver.send(19, at: 1).notices == [Notice(.escalated, 1, ["carol"])])
    }

    /// What the reload reports: the running episodes whose layout changed, the tier each
    /// is judged from and the tiers it told; untouched rules and idle subjects are not listed.
    @Test func rederivationsListRunningEpisodesOnly() throws {
        let other = RuleSpec(id: "other", metric: "queue_depth", tiers: [TierSpec(name: "t", threshold: 1, users: ["carol"])])
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30])), other]))
        driver.send(35, at: 0, subject: "hot")
        driver.send(5, at: 0, subject: "idle")
        let reloaded = try EvaluatorConfig.load([RuleSpec(tiers: Array(tiers([10, 20, 30]).prefix(2))), other])
        #expect(driver.state.rederivations(under: reloaded) == [
            Rederivation(key: RuleStateKey(ruleID: "r", subjectID: "hot"), tier: TierReference(index: 1, name: "high", threshold: 20), toldTiers: []),
        ])
    }

    /// Re-deriving to a lower tier must not forget the higher tiers already told in the
    /// episode: climbing back to `high` (unchanged at 20) tells nobody a second time.
    @Test func rederivingDownKeepsToldTiers() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(12, at: 0)
        #expect(driver.send(25, at: 1).notices == [Notice(.escalated, 1, ["bob", "carol"])])
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([11, 20, 30]))]))
        #expect(driver.send(15, at: 2).rules.map(\.status) == [.rederived])
        #expect(driver.ruleState()?.tier == 0)
        #expect(driver.send(25, at: 3).notices == [], "high was told in this episode already")
        #expect(driver.send(35, at: 4).notifications.map(\.id) == ["r/p-1/1@1800000000000/3-escalated-t2"])
    }

    /// A reload that removes the top tier and a second one that restores it, both inside
    /// one episode: the top tier was told before, so reaching it again is silent.
    @Test func removedAndRestoredTierStaysTold() throws {
        let full = try EvaluatorConfig.load([RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))])
        var driver = EvaluatorDriver(full)
        #expect(driver.send(35, at: 0).notices == [Notice(.firing, 2, ["dave"])])
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: Array(EvaluatorConfig.threeTiers(.above).prefix(2)))]))
        #expect(driver.send(15, at: 1).rules.map(\.status) == [.rederived])
        driver.reload(full)
        #expect(driver.send(15, at: 2).rules.map(\.status) == [.rederived])
        #expect(driver.send(35, at: 3).notices == [], "critical was told in this episode already")
        #expect(driver.send(5, at: 4).notices == [Notice(.resolved, 2, ["dave"])])
    }

    /// Thresholds changed but the subject's tier is the same under the new layout:
    /// re-derived silently too.
    @Test func changedThresholdsSameTier() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(12, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([11, 20, 30]))]))
        let outcome = driver.send(12, at: 1)
        #expect(outcome.rules.map(\.status) == [.rederived])
        #expect(outcome.notifications.isEmpty)
        #expect(driver.ruleState()?.tier == 0)
        #expect(driver.ruleState()?.episode == 1)
    }

    /// Thresholds changed and the value no longer reaches any tier: that is an ordinary
    /// resolve, told to everyone told in the episode.
    @Test func changedThresholdsNoLongerInATierResolves() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(12, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([15, 20, 30]))]))
        let outcome = driver.send(12, at: 1)
        #expect(outcome.rules.map(\.status) == [.changed])
        #expect(outcome.notices == [Notice(.resolved, 0, ["alice", "bob"])])
    }

    /// A subject that was in no tier at the reload fires normally under the new layout.
    @Test func changedThresholdsOutsideAnEpisodeFiresNormally() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(5, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([4, 20, 30]))]))
        let outcome = driver.send(5, at: 1)
        #expect(outcome.rules.map(\.status) == [.changed])
        #expect(outcome.notices == [Notice(.firing, 0, ["alice", "bob"])])
    }

    /// The layout lost its top tier while the subject was in it: a value still in the
    /// new top tier re-derives there; a value below every tier resolves, reported at
    /// the new top tier.
    @Test(arguments: [(35.0, true), (5.0, false)])
    func removedTopTier(_ value: Double, _ stillInATier: Bool) throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))]))
        #expect(driver.send(35, at: 0).notices == [Notice(.firing, 2, ["dave"])])
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: Array(EvaluatorConfig.threeTiers(.above).prefix(2)))]))
        let outcome = driver.send(value, at: 1)
        if stillInATier {
            #expect(outcome.rules.map(\.status) == [.rederived])
            #expect(outcome.notifications.isEmpty)
            #expect(driver.ruleState()?.tier == 1)
        } else {
            #expect(outcome.notices == [Notice(.resolved, 1, ["dave"])])
            #expect(driver.ruleState()?.tier == nil)
        }
    }

    /// A layout change while the value sits in the new hysteresis band (12 with a tier
    /// now at 12.5, margin 1) keeps the tier without a notice.
    @Test func changedThresholdsInsideTheBandStaySilent() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]), hysteresis: 1)]))
        driver.send(12, at: 0)
        driver.reload(try EvaluatorConfig.load([RuleSpec(tiers: tiers([12.5, 20, 30]), hysteresis: 1)]))
        #expect(driver.send(12, at: 1).notifications.isEmpty)
        #expect(driver.ruleState()?.tier == 0)
        #expect(driver.send(12, at: 2).rules.map(\.status) == [.unchanged])
    }

    /// `explain --state` shows a state the config would re-derive before the events,
    /// in text and JSON, and then the climb's notice.
    @Test func explainShowsTheRederivation() throws {
        var driver = EvaluatorDriver(try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 20, 30]))]))
        driver.send(12, at: 0)
        let reloaded = try EvaluatorConfig.load([RuleSpec(tiers: tiers([10, 18, 30]))])
        let event = MetricEvent(metric: "utilisation_variance", value: 25, subject: .init(id: "p-1"), timestamp: driver.timeline.at(minutes: 1))
        let explanation = Explanation.run([event], config: reloaded, state: driver.state, now: driver.timeline.at(minutes: 1))
        let text = ExplanationRenderer.text(explanation)
        #expect(text.hasPrefix("state: rule r subject p-1: tiers changed since the state was written; judged from tier warn (threshold 10), told: warn\n"))
        #expect(text.contains("escalated (tier high"))
        let json = ExplanationRenderer.json(explanation)["rederived"] as? [[String: Any]]
        #expect(json?.first?["toldTiers"] as? [String] == ["warn"])
    }

    /// Ordering and idempotency memory survive a reload; the reloaded window applies.
    @Test func orderingAndDuplicatesSurviveReload() throws {
        let rule = RuleSpec(tiers: EvaluatorConfig.threeTiers(.above))
        var driver = EvaluatorDriver(try EvaluatorConfig.load([rule], idempotencyWindow: "1h"))
        driver.send(12, at: 10, id: "e-1")
        driver.reload(try EvaluatorConfig.load([rule], idempotencyWindow: "10m"))
        #expect(driver.send(25, at: 5, id: "e-2", receivedAt: 11).rules.map(\.status) == [.outOfOrder])
        #expect(driver.send(12, at: 10, id: "e-1", receivedAt: 19).duplicate)
        #expect(!driver.send(12, at: 10, id: "e-1", receivedAt: 20).duplicate)
    }
}
