import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// The seed example (10% → primary coordinator + managers, 20% → support coordinator
/// managers, 30% → admins) end to end through `explain`, from the shipped files.
struct SeedExampleTests {
    @Test func explainOfTheShippedSequence() throws {
        let config = try Fixtures.exampleConfig()
        let events = try EventDecoder().decode(Fixtures.data("Config/example-events.json"))
        let explanation = Explanation.run(events, config: config, now: Timeline().start)
        let notices = explanation.steps.map { step in
            step.outcome.notifications.map { n in
                "\(n.transition.rawValue) \(n.tier.name): " + n.recipients.map { "\($0.id) [\($0.path)]" }.joined(separator: ", ")
            }
        }
        #expect(notices == [
            ["firing 10%: u-chloe [relation:primary_coordinator], u-maya [group:manager], u-noah [group:manager], u-rita [group:manager]"],
            ["escalated 20%: u-maya [group:sc-managers], u-sam [group:sc-managers], u-rita [group:sc-managers → group:regional-leads]"],
            ["escalated 30%: u-olivia [group:admin], u-adam [group:admin]"],
            [],
            ["resolved 10%: " + ["u-chloe", "u-maya", "u-noah", "u-rita", "u-sam", "u-olivia", "u-adam"]
                .map { "\($0) [notified earlier in episode 1]" }.joined(separator: ", ")],
        ])
        // The inactive manager is named as excluded, not silently skipped.
        let firing = explanation.steps[0].outcome.notifications[0]
        #expect(firing.excluded.map { "\($0.id ?? "-") \($0.reason)" } == ["u-former inactive"])
        // Text rendering names tiers and paths for the operator.
        let text = ExplanationRenderer.text(explanation)
        #expect(text.contains("rule utilisation-variance: tier 20% (threshold 20) → tier 30% (threshold 30)"))
        #expect(text.contains("notify Chloe Clarke <u-chloe> via relation:primary_coordinator"))
        #expect(text.contains("exclude Fred Former <u-former> via group:manager: inactive"))
    }

    @Test func aCoordinatorWithoutTheRightIsExcludedWithTheReason() throws {
        let config = try Fixtures.exampleConfig()
        let event = TestEvent.make(value: 11, relations: ["primary_coordinator": "u-liam"])
        let outcome = Explanation.run([event], config: config, now: Timeline().start).steps[0].outcome
        let excluded = outcome.notifications[0].excluded.map { "\($0.id ?? "-") \($0.path): \($0.reason)" }
        #expect(excluded.contains("u-liam relation:primary_coordinator: lacks right 'participants.view'"))
    }
}
