import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Acknowledge, unacknowledge and resolve by hand: who may, what each does to the
/// escalation timer, and what each tells whom.
@Suite struct AcknowledgementTests {
    /// An acknowledgement stops the timer for good and tells everyone told so far.
    @Test func acknowledgementStopsEscalation() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(repeatCount: 3))
        driver.send(12, at: 0)
        #expect(driver.tick(at: 10).notifications.isEmpty)
        let ack = try #require(driver.acknowledge(.user("alice"), at: 10).value)
        #expect(ack.key == RuleStateKey(ruleID: "r", subjectID: "p-1"))
        #expect(ack.notifications.map { Notice($0) } == [Notice(.acknowledged, 0, ["alice"])])
        let notice = try #require(ack.notifications.first)
        #expect(notice.reason == .manual)
        #expect(notice.actor == "alice")
        #expect(notice.occurredAt == driver.timeline.at(minutes: 10))
        #expect(notice.event.value == 12, "the notice carries the episode's last event")
        #expect(ack.state == driver.ruleState())
        #expect(ack.state.acknowledgedBy == "alice")
        #expect(ack.state.acknowledgedAt == driver.timeline.at(minutes: 10))
        #expect(ack.state.escalationDueAt == nil)
        #expect(driver.tickEvery(1, through: 10...500).isEmpty)
        #expect(driver.state.nextEscalationDue == nil)
    }

    /// Acknowledging after some steps fired stops the rest, and the acknowledged
    /// notice reaches the people the timeouts told as well.
    @Test func acknowledgementAfterATimeoutTellsEveryoneTold() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        driver.tick(at: 15)
        let ack = try #require(driver.acknowledge(.user("bob"), at: 20).value)
        #expect(ack.notifications.map { Notice($0) } == [Notice(.acknowledged, 0, ["alice", "bob"])])
        #expect(driver.tickEvery(1, through: 20...200).isEmpty)
    }

    /// With `notifyAcknowledged: false` the timer stops but nobody is told.
    @Test func acknowledgementWithoutNotice() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(extra: #", "notifyAcknowledged": false"#))
        driver.send(12, at: 0)
        let ack = try #require(driver.acknowledge(.user("alice"), at: 1).value)
        #expect(ack.notifications.isEmpty)
        #expect(ack.state.escalationDueAt == nil)
    }

    struct WhoCase: Sendable, CustomTestStringConvertible {
        let name: String
        let actor: EpisodeActor
        let allowed: Bool
        var testDescription: String { name }
    }

    /// Only people notified in the episode, holders of the rule's acknowledge rights
    /// and operators may act; everyone else gets `not_allowed`, for all three actions.
    @Test(arguments: [
        // alice was notified by the firing.
        WhoCase(name: "notified user", actor: .user("alice"), allowed: true),
        // bob is in the chain, but its step has not fired yet.
        WhoCase(name: "user not yet told", actor: .user("bob"), allowed: false),
        // ann holds alerts.ack, one of the rule's acknowledgeRights.
        WhoCase(name: "holder of an acknowledge right", actor: .user("ann"), allowed: true),
        // erin is inactive.
        WhoCase(name: "inactive user", actor: .user("erin"), allowed: false),
        WhoCase(name: "unknown user", actor: .user("mallory"), allowed: false),
        // The server only builds an operator actor for an admin-scoped token.
        WhoCase(name: "operator", actor: .operator("ops-token"), allowed: true),
    ])
    func whoMayAct(_ testCase: WhoCase) throws {
        for action in ["acknowledge", "resolve"] {
            var driver = EvaluatorDriver(try EscalationConfig.load())
            driver.send(12, at: 0)
            let result = action == "acknowledge" ? driver.acknowledge(testCase.actor, at: 1) : driver.resolve(testCase.actor, at: 1)
            if testCase.allowed {
                #expect(result.value != nil, "\(action)")
            } else {
                #expect(result.failure?.code == .notAllowed, "\(action)")
                #expect(driver.ruleState()?.isAcknowledged == false && driver.ruleState()?.tier == 0, "a refusal changes nothing")
            }
        }
    }

    /// Once a timeout has told bob, bob may acknowledge too.
    @Test func peopleToldByATimeoutMayAcknowledge() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        #expect(driver.acknowledge(.user("bob"), at: 1).failure?.code == .notAllowed)
        driver.tick(at: 15)
        #expect(driver.acknowledge(.user("bob"), at: 16).value != nil)
    }

    /// The same person acknowledging again changes nothing and sends nothing; someone
    /// else is told who already has.
    @Test func acknowledgementIsIdempotent() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        _ = driver.acknowledge(.user("alice"), at: 1)
        let stateAfterFirst = driver.ruleState()
        let again = try #require(driver.acknowledge(.user("alice"), at: 2).value)
        #expect(again.notifications.isEmpty)
        #expect(driver.ruleState() == stateAfterFirst)
        let other = try #require(driver.acknowledge(.user("ann"), at: 3).failure)
        #expect(other.code == .alreadyAcknowledged)
        #expect(other.message == "episode 'r/p-1/1@1800000000000' was acknowledged by 'alice' already")
    }

    /// `repeatAfter` reminders pause while the episode is acknowledged and resume
    /// once it is given back.
    @Test func noRemindersWhileAcknowledged() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load(extra: #", "repeatAfter": "30m""#))
        driver.send(12, at: 0)
        _ = driver.acknowledge(.user("alice"), at: 1)
        #expect(driver.send(12, at: 40).notices.isEmpty)
        _ = driver.unacknowledge(.user("alice"), at: 41)
        #expect(driver.send(12, at: 42).notices == [Notice(.repeated, 0, ["alice"])])
    }

    /// Ids that name no episode, an ended episode, or an earlier one.
    @Test func unknownAndEndedEpisodes() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        #expect(driver.acknowledge(.operator("t"), at: 0, episode: "nonsense").failure?.code == .unknownEpisode)
        #expect(driver.acknowledge(.operator("t"), at: 0, episode: "r/p-1/1@1800000000000").failure?.code == .unknownEpisode)
        driver.send(12, at: 0)
        let first = driver.episodeID
        #expect(driver.acknowledge(.operator("t"), at: 0, episode: "r/p-1/1@1").failure?.code == .unknownEpisode,
                "same number, another start: not this episode")
        #expect(driver.acknowledge(.operator("t"), at: 0, episode: "r/p-9/1@1800000000000").failure?.code == .unknownEpisode)
        driver.send(0, at: 5)
        #expect(driver.acknowledge(.user("alice"), at: 6, episode: first).failure?.code == .episodeEnded)
        #expect(driver.state.key(forEpisode: first) == RuleStateKey(ruleID: "r", subjectID: "p-1"), "ended but still the current one")
        driver.send(12, at: 10)
        #expect(driver.episodeID != first)
        #expect(driver.state.key(forEpisode: first) == nil, "an earlier episode")
        #expect(driver.acknowledge(.user("alice"), at: 11, episode: first).failure?.code == .episodeEnded)
        #expect(driver.acknowledge(.user("alice"), at: 11).value != nil)
    }

    /// Ids with escaped characters find their state.
    @Test func episodeIdsWithEscapedParts() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0, subject: "ward 5/bed%2")
        let key = RuleStateKey(ruleID: "r", subjectID: "ward 5/bed%2")
        let id = try #require(driver.state.rules[key]).episodeID(for: key)
        #expect(id == "r/ward 5%2Fbed%252/1@1800000000000")
        #expect(driver.state.key(forEpisode: id) == key)
        #expect(driver.acknowledge(.user("alice"), at: 1, episode: id).value?.key == key)
    }

    /// Unacknowledging runs the current tier's chain again from its first step,
    /// counted from the unacknowledgement.
    @Test func unacknowledgeRestartsTheChain() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        driver.tick(at: 15)
        _ = driver.acknowledge(.user("alice"), at: 20)
        let unack = try #require(driver.unacknowledge(.user("bob"), at: 40).value)
        #expect(unack.notifications.isEmpty)
        #expect(unack.state.acknowledgedBy == nil && unack.state.acknowledgedAt == nil)
        #expect(driver.minute(of: unack.state.escalationDueAt) == 55)
        #expect(driver.tickEvery(1, through: 40...200) == [Firing(55, ["bob"]), Firing(85, ["dave"])])
        #expect(driver.unacknowledge(.user("bob"), at: 201).failure?.code == .notAcknowledged)
    }

    /// A manual resolve tells everyone told, ends the episode and its timer; the next
    /// event at a tier starts a new episode.
    @Test func manualResolve() throws {
        var driver = EvaluatorDriver(try EscalationConfig.load())
        driver.send(12, at: 0)
        driver.tick(at: 15)
        let resolved = try #require(driver.resolve(.operator("ops"), at: 20).value)
        #expect(resolved.notifications.map { Notice($0) } == [Notice(.resolved, 0, ["alice", "bob"])])
        #expect(resolved.notifications.first?.reason == .manual)
        #expect(resolved.notifications.first?.actor == "operator:ops")
        let state = try #require(driver.ruleState())
        #expect(state.tier == nil && state.told.isEmpty && state.escalationDueAt == nil && state.lastEvent == nil)
        #expect(driver.tickEvery(1, through: 20...200).isEmpty)
        #expect(driver.resolve(.operator("ops"), at: 201, episode: resolved.notifications[0].episodeID).failure?.code == .episodeEnded)
        let next = driver.send(12, at: 210)
        #expect(next.notices == [Notice(.firing, 0, ["alice"])])
        #expect(driver.ruleState()?.episode == 2)
    }
}
