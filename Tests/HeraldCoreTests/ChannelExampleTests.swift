import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Config/examples/channels.json, issue 15's "done when": the seed example's 31 %
/// event reaches the managers' Slack channel, PagerDuty (the 30 % tier) and the primary
/// coordinator's ntfy topic, each in its receiver's format.
struct ChannelExampleTests {
    @Test func theSeedEventReachesSlackPagerDutyAndNtfy() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/channels.json"))
        #expect(config.warnings.isEmpty, "\(config.warnings)")
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 31,
                                subject: .init(id: "p-1001", type: "participant", name: "Pat Example"), timestamp: at,
                                relations: ["primary_coordinator": "u-chloe"])
        var state = EvaluationState()
        let notices = Evaluator(config: config).evaluate(event, state: &state, now: at).notifications
        var seen: [String: [String]] = [:]
        for notice in notices {
            for delivery in DeliveryPlanner.plan(notice, config: config) {
                let target = config.targets.first { $0.id == delivery.target }!
                let body = WebhookPayload.body(notice, delivery: delivery, config: config, notifiedAt: at)
                let decoded = try #require(ChannelNotice(webhookBody: body))
                let context = ChannelContext.make(decoded, target: target, config: config, deliveryID: "msg_1", routingKey: "R0KEY")
                let request = try ChannelRenderer.render(decoded, standardBody: body, context).get()
                let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
                seen[delivery.destination, default: []].append((json["text"] ?? json["event_action"] ?? json["topic"]) as? String ?? "?")
            }
        }
        #expect(seen["slack-managers"] == ["[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — new"])
        #expect(seen["pagerduty"] == ["trigger"])
        #expect(seen["coordinator-phone@user:u-chloe"] == ["herald-chloe-q81mz"])
        #expect(seen.count == 3, "\(seen.keys.sorted())")
    }
}
