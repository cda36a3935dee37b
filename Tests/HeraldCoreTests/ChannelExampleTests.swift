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

    /// The example's targets offer acknowledgement: each has the webhook secret that keys
    /// the links, so the managers' Slack message carries each one's own link.
    @Test func theExampleOffersAckLinksInSlack() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/channels.json"))
        #expect(config.targets.allSatisfy { !$0.secrets.isEmpty }, "a target without secrets offers no ack link")
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 12,
                                subject: .init(id: "p-1001", type: "participant", name: "Pat Example"), timestamp: at,
                                relations: ["primary_coordinator": "u-chloe"])
        var state = EvaluationState()
        let notice = try #require(Evaluator(config: config).evaluate(event, state: &state, now: at).notifications
            .first { $0.ruleID == "utilisation-variance-managers" })
        let delivery = try #require(DeliveryPlanner.plan(notice, config: config).first { $0.target == "slack-managers" })
        // As the daemon signs them (the core only places them).
        let body = WebhookPayload.body(notice, delivery: delivery, config: config, notifiedAt: at) { user in
            AckLink(token: "t-\(user)", expiresAt: "", url: "https://herald.example.org/ack/t-\(user)", apiURL: "")
        }
        let decoded = try #require(ChannelNotice(webhookBody: body))
        let target = config.targets.first { $0.id == "slack-managers" }!
        let context = ChannelContext.make(decoded, target: target, config: config, deliveryID: "msg_1", routingKey: nil)
        let text = String(decoding: try ChannelRenderer.render(decoded, standardBody: body, context).get().body, as: UTF8.self)
        #expect(text.contains("Acknowledge as: <https://herald.example.org/ack/t-u-maya|Maya Murphy>, <https://herald.example.org/ack/t-u-noah|Noah Nguyen>"), "\(text)")
    }

    /// `explain` names, per recipient, the targets and formats the notice goes to.
    @Test func explainShowsTargetsAndFormatsPerRecipient() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/channels.json"))
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 31,
                                subject: .init(id: "p-1001", type: "participant", name: "Pat Example"), timestamp: at,
                                relations: ["primary_coordinator": "u-chloe"])
        let text = ExplanationRenderer.text(Explanation.run([event], config: config, now: at), directory: config.directory, config: config)
        #expect(text.contains("notify Maya Murphy <u-maya> via role:manager → slack-managers (slack)\n"), "\(text)")
        #expect(text.contains("notify Olivia Owens <u-olivia> via group:admin → pagerduty (pagerduty)\n"), "\(text)")
        #expect(text.contains("notify Chloe Clarke <u-chloe> via relation:primary_coordinator → coordinator-phone (ntfy)\n"), "\(text)")
    }

    /// A per-recipient ntfy target without a topic of its own cannot reach a person
    /// without `contact.ntfy`: no delivery is planned for them, and explain says why.
    @Test func aPersonWithoutTheContactFieldIsNotSentToAndExplainSaysWhy() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/channels.json"))
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 12,
                                subject: .init(id: "p-1001", type: "participant"), timestamp: at,
                                relations: ["primary_coordinator": "u-maya"])
        let explanation = Explanation.run([event], config: config, now: at)
        let coordinatorNotice = try #require(explanation.steps[0].outcome.notifications.first { $0.ruleID == "utilisation-variance-coordinator" })
        #expect(coordinatorNotice.recipients.map(\.id) == ["u-maya"])
        #expect(DeliveryPlanner.plan(coordinatorNotice, config: config).isEmpty)
        // What the daemon counts and logs for the same notice.
        let unreachable = ChannelReach.unreachable(coordinatorNotice, config: config)
        #expect(unreachable.map { "\($0.target) \($0.field) \($0.users)" } == [#"coordinator-phone ntfy ["u-maya"]"#])
        let text = ExplanationRenderer.text(explanation, directory: config.directory, config: config)
        #expect(text.contains("notify Maya Murphy <u-maya> via relation:primary_coordinator → no target; not sent: no contact 'ntfy' for target 'coordinator-phone'\n"), "\(text)")
    }

    /// `explain --json` carries the same routes as the text form, per notice and per
    /// recipient: the targets with their formats, and the targets that cannot reach them.
    @Test func explainJSONCarriesTheRoutesOfEveryRecipient() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/channels.json"))
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 12,
                                subject: .init(id: "p-1001", type: "participant"), timestamp: at,
                                relations: ["primary_coordinator": "u-maya"])
        let json = ExplanationRenderer.json(Explanation.run([event], config: config, now: at), config: config)
        let rules = try #require((json["steps"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])
        func notice(_ rule: String) throws -> [String: Any] {
            let entry = try #require(rules.first { $0["rule"] as? String == rule })
            return try #require((entry["notifications"] as? [[String: Any]])?.first)
        }
        let managers = try #require(try notice("utilisation-variance-managers")["routes"] as? [[String: Any]])
        let maya = try #require(managers.first { $0["user"] as? String == "u-maya" })
        #expect(maya["targets"] as? [[String: String]] == [["target": "slack-managers", "format": "slack"]])
        #expect((maya["notSent"] as? [Any])?.isEmpty == true)
        #expect(managers.map { $0["user"] as? String } == (try notice("utilisation-variance-managers")["recipients"] as? [[String: Any]])?.map { $0["id"] as? String })
        let coordinator = try #require(try notice("utilisation-variance-coordinator")["routes"] as? [[String: Any]])
        #expect(coordinator.count == 1)
        #expect(coordinator[0]["user"] as? String == "u-maya")
        #expect((coordinator[0]["targets"] as? [Any])?.isEmpty == true)
        #expect(coordinator[0]["notSent"] as? [[String: String]]
            == [["target": "coordinator-phone", "reason": "no contact 'ntfy' for target 'coordinator-phone'"]])
        // Without a config (a caller that has none) the notices are as before.
        let bare = ExplanationRenderer.json(Explanation.run([event], config: config, now: at))
        let bareRules = try #require((bare["steps"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])
        #expect(bareRules.allSatisfy { (($0["notifications"] as? [[String: Any]]) ?? []).allSatisfy { $0["routes"] == nil } })
    }
}
