import Foundation
import HeraldTestKit
@testable import HeraldCore

/// A seed-example notice (`[30%] Utilisation variance for Pat Example (participant
/// p-1001): 31 (threshold 30)`) and a config with one target per format, for the
/// channel renderer tests.
enum ChannelFixture {
    static let config = """
    {"users": [
       {"id": "u-olivia", "name": "Olivia Owens", "owner": true, "roles": ["admin"],
        "contact": {"slack": "U0OLIVIA", "mattermost": "olivia", "discord": "1001", "ntfy": "olivia-alerts", "pagerduty": "R0OLIVIA0000000000000000000000AB"}},
       {"id": "u-adam", "name": "Adam Ahmed", "roles": ["admin"]}],
     "targets": [
       {"id": "slack", "format": "slack", "mode": "batch", "url": {"env": "SLACK_URL"}, "username": "Herald", "rate": "1/s"},
       {"id": "teams", "format": "teams", "mode": "batch", "url": "https://example.powerautomate.com/hook"},
       {"id": "discord", "format": "discord", "mode": "batch", "url": "https://discord.com/api/webhooks/1/x"},
       {"id": "mattermost", "format": "mattermost", "mode": "batch", "url": "https://chat.example.org/hooks/abc"},
       {"id": "google-chat", "format": "google-chat", "mode": "batch", "url": "https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t"},
       {"id": "pagerduty", "format": "pagerduty", "mode": "batch", "url": "https://events.pagerduty.com/v2/enqueue",
        "routingKey": {"env": "PD_KEY"}, "severity": {"20%": "error"}},
       {"id": "ntfy", "format": "ntfy", "url": "https://ntfy.sh", "topic": "herald-alerts"},
       {"id": "template", "format": "template", "mode": "batch", "url": "https://hooks.example.org/in",
        "template": {"summary": "{{headline}}", "who": "{{recipients.names}}", "value": "{{event.value}}", "fixed": 1}}],
     "rules": [{"id": "utilisation-variance", "name": "Utilisation variance", "metric": "utilisation_variance",
       "tiers": [{"name": "20%", "threshold": 20, "notify": [{"role": "admin"}]},
                 {"name": "30%", "threshold": 30, "notify": [{"role": "admin"}]},
                 {"name": "50%", "threshold": 50, "critical": true, "notify": [{"role": "admin"}]}]}]}
    """

    static func loadConfig(_ json: String = config) -> HeraldConfig {
        try! TestConfig.load(json)
    }

    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    static func notification(_ transition: Transition = .escalated, tier: Int = 1, recipients: [NotifiedPerson]? = nil,
                             subjectName: String = "Pat Example", actor: String? = nil) -> HeraldCore.Notification {
        let tiers = [("20%", 20.0), ("30%", 30.0), ("50%", 50.0)]
        let people = recipients ?? [NotifiedPerson(id: "u-olivia", name: "Olivia Owens", path: "role:admin"),
                                    NotifiedPerson(id: "u-adam", name: "Adam Ahmed", path: "role:admin")]
        let event = MetricEvent(id: "e-1", metric: "utilisation_variance", value: 31,
                                subject: .init(id: "p-1001", type: "participant", name: subjectName), timestamp: at,
                                relations: ["primary_coordinator": "u-sam"], labels: ["site": "north"])
        // An escalated notice climbed from the tier below, as the evaluator reports it.
        let previous = transition == .escalated && tier > 0
            ? TierReference(index: tier - 1, name: tiers[tier - 1].0, threshold: tiers[tier - 1].1) : nil
        return HeraldCore.Notification(
            id: "n-1", ruleID: "utilisation-variance", ruleName: "Utilisation variance",
            tier: TierReference(index: tier, name: tiers[tier].0, threshold: tiers[tier].1), transition: transition,
            episode: 1, episodeID: "utilisation-variance/p-1001/1@1800000000000", event: event, recipients: people,
            excluded: [], occurredAt: at, reason: actor == nil ? .value : .manual, actor: actor, escalationStep: nil,
            previousTier: previous)
    }

    /// The stored standard body of `n` for `target`'s batch delivery, with ack links.
    static func body(_ n: HeraldCore.Notification, target: String, config: HeraldConfig, audience: PlannedDelivery.Audience = .batch) -> Data {
        let delivery = PlannedDelivery(target: target, audience: audience, recipients: n.recipients)
        return WebhookPayload.body(n, delivery: delivery, config: config, notifiedAt: at) { user in
            AckLink(token: "tok-\(user)", expiresAt: "2027-01-15T08:00:00Z", url: "https://herald.example.org/ack/tok-\(user)",
                    apiURL: "https://herald.example.org/v1/episodes/ack-link")
        }
    }

    /// Renders `n` for `target` as the daemon does: the standard body, decoded, rendered.
    /// With `told`, the notice's whole recipient list (the audit document's), so the
    /// message can say who else was told, as the daemon renders it.
    static func render(_ n: HeraldCore.Notification, target id: String, config: HeraldConfig? = nil,
                       audience: PlannedDelivery.Audience = .batch, told: HeraldCore.Notification? = nil) -> Result<ChannelRequest, ChannelRenderError> {
        let config = config ?? loadConfig()
        let target = config.targets.first { $0.id == id }!
        let stored = body(n, target: id, config: config, audience: audience)
        var notice = ChannelNotice(webhookBody: stored)!
        if let told {
            let sample = ChannelNotice.ToldSample(noticeDocument: NotificationJSON.data(told))!
            notice.alsoTold = sample.alsoTold(excluding: n.recipients.map(\.id))
        }
        let context = ChannelContext.make(notice, target: target, config: config, deliveryID: "msg_0123456789abcdef",
                                          routingKey: "R0TARGETKEY00000000000000000000X")
        return ChannelRenderer.render(notice, standardBody: stored, context)
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// `count` recipients with long names, to reach every receiver's limit.
    static func crowd(_ count: Int) -> [NotifiedPerson] {
        (0..<count).map { NotifiedPerson(id: "u-\($0)", name: "Person Number \($0) With A Long Name", path: "group:everyone-in-the-organisation") }
    }
}
