import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// The seed example (Config/example.json, Config/example-events.json): utilisation
/// variance, absolute direction, tiers at 10/20/30 %, margin 1, resolve on, deescalation
/// off, required right `participants.view`.
@Suite struct EvaluatorSeedExampleTests {
    /// A recipient as the notice lists it: user id and the path that chose them.
    struct Told: Equatable, CustomStringConvertible {
        let id: String
        let path: String
        init(_ id: String, _ path: String) {
            self.id = id
            self.path = path
        }
        var description: String { "\(id) via \(path)" }
    }

    private static let episodeID = "utilisation-variance/p-1001/1@1795424400000"
    private static let earlier = "notified earlier in episode 1"

    private func run(_ events: [MetricEvent], config: HeraldConfig) -> (EvaluationState, [EventOutcome]) {
        var state = EvaluationState()
        let evaluator = Evaluator(config: config)
        let outcomes = events.map { evaluator.evaluate($0, state: &state, now: $0.timestamp!.addingTimeInterval(1)) }
        return (state, outcomes)
    }

    /// 12 → 25 → −31 → 18 → 4, as an operator reads the config.
    @Test func seedSequence() throws {
        let config = try Fixtures.exampleConfig()
        let events = try EventDecoder().decode(try Fixtures.data("Config/example-events.json"))
        #expect(events.map(\.value) == [12, 25, -31, 18, 4])
        let (state, outcomes) = run(events, config: config)
        let notices = outcomes.map(\.notifications)

        // 12: firing at 10 % to the participant's primary coordinator (Chloe, who holds
        // participants.view through rights copied from Sam) and the manager group; Fred
        // is a manager but inactive.
        let firing = try #require(notices[0].first)
        #expect(notices[0].count == 1)
        #expect(firing.id == "\(Self.episodeID)/1-firing-t0")
        #expect(firing.transition == .firing)
        #expect(firing.tier == TierReference(index: 0, name: "10%", threshold: 10))
        #expect(firing.recipients.map { Told($0.id, $0.path) } == [
            Told("u-chloe", "relation:primary_coordinator"),
            Told("u-maya", "group:manager"),
            Told("u-noah", "group:manager"),
            Told("u-rita", "group:manager"),
        ])
        #expect(firing.excluded == [ExcludedPerson(id: "u-former", name: "Fred Former", path: "group:manager", reason: "inactive")])

        // 25: escalated to 20 %: the support coordinator managers group — Maya directly,
        // Sam by his own membership, Rita through the nested regional-leads group.
        let toManagers = try #require(notices[1].first)
        #expect(notices[1].count == 1)
        #expect(toManagers.id == "\(Self.episodeID)/2-escalated-t1")
        #expect(toManagers.transition == .escalated)
        #expect(toManagers.tier == TierReference(index: 1, name: "20%", threshold: 20))
        #expect(toManagers.recipients.map { Told($0.id, $0.path) } == [
            Told("u-maya", "group:sc-managers"),
            Told("u-sam", "group:sc-managers"),
            Told("u-rita", "group:sc-managers → group:regional-leads"),
        ])
        #expect(toManagers.excluded.isEmpty)

        // −31: |−31| ≥ 30, escalated to 30 %: the admin group.
        let toAdmins = try #require(notices[2].first)
        #expect(notices[2].count == 1)
        #expect(toAdmins.id == "\(Self.episodeID)/3-escalated-t2")
        #expect(toAdmins.transition == .escalated)
        #expect(toAdmins.tier == TierReference(index: 2, name: "30%", threshold: 30))
        #expect(toAdmins.recipients.map { Told($0.id, $0.path) } == [
            Told("u-olivia", "group:admin"),
            Told("u-adam", "group:admin"),
        ])

        // 18: below 20 − 1, back to 10 %; the rule does not ask for deescalation notices.
        #expect(notices[3].isEmpty)
        #expect(outcomes[3].rules.first?.status == .changed)
        #expect(outcomes[3].rules.first?.previousTier?.index == 2)
        #expect(outcomes[3].rules.first?.tier?.index == 0)

        // 4: below 10 − 1: resolved, reported at 10 %, to everyone told in the episode,
        // each once, in the order first told.
        let resolved = try #require(notices[4].first)
        #expect(notices[4].count == 1)
        #expect(resolved.id == "\(Self.episodeID)/4-resolved-t0")
        #expect(resolved.transition == .resolved)
        #expect(resolved.tier.index == 0)
        #expect(resolved.recipients.map { Told($0.id, $0.path) } == [
            "u-chloe", "u-maya", "u-noah", "u-rita", "u-sam", "u-olivia", "u-adam",
        ].map { Told($0, Self.earlier) })

        // Every notice belongs to episode 1 of (utilisation-variance, p-1001).
        #expect(Set(notices.joined().map(\.episodeID)) == [Self.episodeID])
        let final = try #require(state.rules[RuleStateKey(ruleID: "utilisation-variance", subjectID: "p-1001")])
        #expect(final.tier == nil)
        #expect(final.episode == 1)
        #expect(final.told.isEmpty)

        // Posting the same batch again (a client retry) is five duplicates: no notices.
        let retry = events.map { Evaluator(config: config).evaluate($0, state: state, now: events[4].timestamp!.addingTimeInterval(60)).1 }
        #expect(retry.allSatisfy { $0.duplicate && $0.notifications.isEmpty })
    }

    /// The margin of 1 around the seed tiers: values hovering just under a threshold keep
    /// the tier, so an operator gets no noise while the variance wobbles.
    @Test func seedHysteresis() throws {
        let config = try Fixtures.exampleConfig()
        let template = try #require(try EventDecoder().decode(try Fixtures.data("Config/example-events.json")).first)
        let start = try #require(template.timestamp)
        let values: [Double] = [12, 9.5, 25, -19.2, 31, -29.1, 18, 9.1, 8.5]
        let events = values.enumerated().map { index, value in
            MetricEvent(id: "h-\(index)", metric: template.metric, value: value, subject: template.subject,
                        timestamp: start.addingTimeInterval(Double(index) * 600), relations: template.relations)
        }
        let (_, outcomes) = run(events, config: config)
        let transitions = outcomes.map { $0.notifications.map(\.transition) }
        #expect(transitions == [
            [.firing],     // 12
            [],            // 9.5: inside 10's band (≥ 9)
            [.escalated],  // 25
            [],            // −19.2: inside 20's band (≥ 19)
            [.escalated],  // 31
            [],            // −29.1: inside 30's band (≥ 29)
            [],            // 18: down to 10 % silently
            [],            // 9.1: still inside 10's band
            [.resolved],   // 8.5: below 9, resolved
        ])
        #expect(outcomes.map { $0.rules.first?.tier?.index } == [0, 0, 1, 1, 2, 2, 0, 0, nil])
    }
}
