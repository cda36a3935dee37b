import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Issue 8's "done when", on Config/examples/escalation.json: an unacknowledged 30%
/// notice to the admin group escalates to the business owner after 15 minutes (and
/// twice more, 15 minutes apart), survives a restart, and stops the moment someone
/// acknowledges.
@Suite struct EscalationExampleTests {
    static let key = RuleStateKey(ruleID: "utilisation-variance", subjectID: "p-1001")

    static func at(_ time: String) -> Date { QuietHoursTests.utc("2026-11-23T\(time)Z") }

    /// The seed events 12 → 25 → −31 (09:00, 10:00, 11:00): the episode is at 30% at 11:00.
    static func atThirtyPercent() throws -> (Evaluator, EvaluationState, [HeraldNotification]) {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/escalation.json"))
        let events = Array(try EventDecoder().decode(try Fixtures.data("Config/example-events.json")).prefix(3))
        let evaluator = Evaluator(config: config)
        var state = EvaluationState()
        let notices = events.flatMap { evaluator.evaluate($0, state: &state, now: $0.timestamp!).notifications }
        return (evaluator, state, notices)
    }

    @Test func unacknowledgedThirtyPercentEscalatesToTheOwner() throws {
        var (evaluator, state, notices) = try Self.atThirtyPercent()
        let toAdmins = try #require(notices.last)
        #expect(toAdmins.tier.name == "30%")
        #expect(toAdmins.recipients.map(\.id) == ["u-olivia", "u-adam"])
        #expect(state.rules[Self.key]?.escalationDueAt == Self.at("11:15:00"))

        #expect(evaluator.tick(state: &state, now: Self.at("11:14:59")).notifications.isEmpty)
        let escalated = try #require(evaluator.tick(state: &state, now: Self.at("11:15:00")).notifications.first)
        #expect(escalated.transition == .escalated)
        #expect(escalated.reason == .timeout)
        #expect(escalated.tier.name == "30%")
        #expect(escalated.recipients.map { "\($0.id) via \($0.path)" } == ["u-olivia via owner"])
        #expect(escalated.episodeID == toAdmins.episodeID)

        // The chain repeats twice, then stops.
        var later: [Date] = []
        for minute in 16...120 {
            let now = Self.at("11:15:00").addingTimeInterval(Double(minute - 15) * 60)
            later += evaluator.tick(state: &state, now: now).notifications.map(\.occurredAt)
        }
        #expect(later == [Self.at("11:30:00"), Self.at("11:45:00")])
    }

    @Test func acknowledgementStopsItAtOnce() throws {
        var (evaluator, state, _) = try Self.atThirtyPercent()
        let episode = try #require(state.rules[Self.key]).episodeID(for: Self.key)
        // Liam was never told and holds no acknowledge right.
        #expect(evaluator.acknowledge(episodeID: episode, by: .user("u-liam"), state: &state, now: Self.at("11:05:00")).failure?.code == .notAllowed)
        let ack = try #require(evaluator.acknowledge(episodeID: episode, by: .user("u-adam"), state: &state, now: Self.at("11:05:00")).value)
        #expect(ack.notifications.first?.transition == .acknowledged)
        #expect(ack.notifications.first?.recipients.map(\.id) == ["u-chloe", "u-maya", "u-noah", "u-rita", "u-sam", "u-olivia", "u-adam"])
        for time in ["11:15:00", "11:30:00", "12:00:00", "23:00:00"] {
            #expect(evaluator.tick(state: &state, now: Self.at(time)).notifications.isEmpty)
        }
    }

    /// Acknowledged after the first escalation: the repeats never come.
    @Test func acknowledgementAfterTheFirstEscalationStopsTheRepeats() throws {
        var (evaluator, state, _) = try Self.atThirtyPercent()
        #expect(evaluator.tick(state: &state, now: Self.at("11:15:00")).notifications.count == 1)
        let episode = try #require(state.rules[Self.key]).episodeID(for: Self.key)
        // Noah holds alerts.ack (and was told at 10%).
        #expect(evaluator.acknowledge(episodeID: episode, by: .user("u-noah"), state: &state, now: Self.at("11:20:00")).value != nil)
        #expect(evaluator.tick(state: &state, now: Self.at("11:30:00")).notifications.isEmpty)
        #expect(evaluator.tick(state: &state, now: Self.at("11:45:00")).notifications.isEmpty)
    }

    /// Stored as the daemon stores rule states, reloaded, and then due: fires once.
    @Test func survivesARestart() throws {
        let (evaluator, state, _) = try Self.atThirtyPercent()
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let row = try encoder.encode(try #require(state.rules[Self.key]))
        var restored = EvaluationState(rules: [Self.key: try decoder.decode(RuleState.self, from: row)])
        let fired = evaluator.tick(state: &restored, now: Self.at("11:40:00")).notifications
        #expect(fired.map(\.recipients).map { $0.map(\.id) } == [["u-olivia"]])
        #expect(evaluator.tick(state: &restored, now: Self.at("11:40:00")).notifications.isEmpty)
    }

    /// Explain on the example: Maya's 10% notice at 23:00 in Sydney waits for 07:00
    /// there; the 30% notice would be escalated at 12:20, 12:35 and 12:50; a silence
    /// on the subject shows on the notice it covers.
    @Test func explainShowsHoldsAndTheForecast() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/escalation.json"))
        let template = try #require(try EventDecoder().decode(try Fixtures.data("Config/example-events.json")).first)
        let events = [(12.0, "12:00:00"), (-31.0, "12:05:00")].map { value, time in
            MetricEvent(metric: template.metric, value: value, subject: template.subject, timestamp: Self.at(time), relations: template.relations)
        }
        let silence = Silence(id: "sil-1", matcher: .init(subjectID: "p-1001"), startsAt: Self.at("11:00:00"), endsAt: Self.at("12:01:00"),
                              author: "olivia", comment: "data migration")
        let explanation = Explanation.run(events, config: config, now: Self.at("12:10:00"), silences: [silence])

        let firing = try #require(explanation.steps[0].outcome.notifications.first)
        let firingHolds = try #require(explanation.steps[0].holds[firing.id])
        #expect(firingHolds.silence?.id == "sil-1")
        #expect(firingHolds.quiet == [QuietHold(userID: "u-maya", until: Self.at("20:00:00"))])
        #expect(explanation.steps[0].forecasts.isEmpty, "10% has no escalation chain")

        let forecast = try #require(explanation.steps[1].forecasts.first)
        #expect(forecast.notifications.map(\.occurredAt) == [Self.at("12:20:00"), Self.at("12:35:00"), Self.at("12:50:00")])
        #expect(forecast.notifications.allSatisfy { $0.reason == .timeout && $0.recipients.map(\.id) == ["u-olivia"] })
        #expect(explanation.finalState.rules[Self.key]?.escalationStep == 0, "the forecast is not applied")
        let escalation = try #require(explanation.steps[1].outcome.notifications.first)
        #expect(explanation.steps[1].holds[escalation.id]?.quiet.isEmpty == true, "30% is critical")

        let text = ExplanationRenderer.text(explanation)
        #expect(text.contains("      suppressed by silence sil-1 (olivia: data migration) until 2026-11-23T12:01:00.000Z\n"))
        #expect(text.contains("      notify Maya Murphy <u-maya> via group:manager, held by quiet hours until 2026-11-23T20:00:00.000Z\n"))
        #expect(text.contains("""
            if nobody acknowledges:
              at 2026-11-23T12:20:00.000Z: escalated (timeout, tier 30%)
                notify Olivia Owens <u-olivia> via owner
              at 2026-11-23T12:35:00.000Z: escalated (timeout, tier 30%)
        """))

        let json = ExplanationRenderer.json(explanation)
        let steps = try #require(json["steps"] as? [[String: Any]])
        let firstRule = try #require((steps[0]["rules"] as? [[String: Any]])?.first)
        let firstNotice = try #require((firstRule["notifications"] as? [[String: Any]])?.first)
        #expect(firstNotice["suppressedBy"] as? String == "sil-1")
        #expect(firstNotice["heldUntil"] as? [String: String] == ["u-maya": "2026-11-23T20:00:00.000Z"])
        #expect(firstNotice["reason"] as? String == "value")
        let secondRule = try #require((steps[1]["rules"] as? [[String: Any]])?.first)
        let forecastJSON = try #require(secondRule["escalationForecast"] as? [String: Any])
        #expect((forecastJSON["notifications"] as? [[String: Any]])?.count == 3)
        #expect(forecastJSON["more"] as? Int == 0)
    }
}
