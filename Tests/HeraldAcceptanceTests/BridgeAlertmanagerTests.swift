import Foundation
import Testing
import HeraldTestKit

/// A real Prometheus Alertmanager whose webhook receiver points at Herald's bridge:
/// alerts posted to Alertmanager's API reach Herald, are routed by role and group and
/// delivered as signed Herald webhooks; Alertmanager's re-sends of the same group are
/// duplicates; a bad alert is refused alone; a resolved alert resolves the episode.
///
/// Timeline (Alertmanager: group_wait 200ms, group_interval 1s, repeat_interval 2s):
/// at 0 post db-1 (95), db-2 (50), db-3 ("n/a") → within ~1 s one `firing` webhook for
/// db-1 to the manager and the on-call group; db-3 refused and counted. Then at least two
/// re-sends of the unchanged group → duplicates, no new webhook. Then resolve db-1 →
/// within ~2 s one `resolved` webhook to the same people.
@Suite(.serialized)
struct BridgeAlertmanagerTests {
    static let password = "am-basic-password-4f1c"
    static let environment = ["HERALD_TOKEN": DeliveryKit.token, "SECRET_A": DeliveryKit.secret, "AM_PASSWORD": password]

    static func heraldConfig(sink: URL) -> String {
        """
        {
          "users": [
            {"id": "owner", "name": "Owner", "owner": true},
            {"id": "u-mgr", "name": "Mia Manager", "roles": ["manager"]},
            {"id": "u-ops", "name": "Oli Ops", "groups": ["oncall"]},
            {"id": "u-bystander", "name": "Bea Bystander"}
          ],
          "groups": [{"id": "oncall", "name": "On call"}],
          "targets": [\(DeliveryKit.target("sink", url: sink))],
          "rules": [{"id": "disk-full", "metric": "DiskFull",
                     "tiers": [{"name": "full", "threshold": 90, "notify": [{"role": "manager"}, {"group": "oncall"}]}]}],
          "bridges": {"alertmanager": {"subject": {"id": {"label": "instance"}},
                                       "auth": {"basic": {"username": "alertmanager", "password": {"env": "AM_PASSWORD"}}}}},
          "server": {"tokens": [{"id": "t", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}]}
        }
        """
    }

    static func alertmanagerConfig(herald: HeraldProcess) -> String {
        """
        route:
          receiver: herald
          group_by: ['alertname']
          group_wait: 200ms
          group_interval: 1s
          repeat_interval: 2s
        receivers:
          - name: herald
            webhook_configs:
              - url: '\(herald.url("/v1/bridges/alertmanager").absoluteString)'
                send_resolved: true
                http_config:
                  basic_auth:
                    username: alertmanager
                    password: '\(password)'
        """
    }

    static func alert(_ instance: String, value: String, startsAt: String, endsAt: String? = nil) -> String {
        let end = endsAt.map { #", "endsAt": "\#($0)""# } ?? ""
        return #"{"labels": {"alertname": "DiskFull", "instance": "\#(instance)", "severity": "page"}, "annotations": {"value": "\#(value)", "summary": "disk on \#(instance)"}, "startsAt": "\#(startsAt)"\#(end)}"#
    }

    static func webhooks(_ receiver: PythonReceiver, transition: String) -> [PythonReceiver.Request] {
        receiver.requests().filter { $0.json["transition"] as? String == transition }
    }

    @Test(.enabled(if: AlertmanagerProcess.isInstalled, "needs Debian prometheus-alertmanager (scripts/install-deps)"))
    func alertsFromARealAlertmanagerAreRoutedDeduplicatedAndResolved() throws {
        let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
        defer { receiver.stop() }
        let herald = try HeraldProcess(config: Self.heraldConfig(sink: receiver.url("/hooks")), environment: Self.environment)
        defer { herald.stop() }
        let alertmanager = try AlertmanagerProcess(config: Self.alertmanagerConfig(herald: herald))
        defer { alertmanager.stop() }

        let startsAt = ISO8601DateFormatter().string(from: Date())
        let posted = try alertmanager.postAlerts("[" + [Self.alert("db-1", value: "95", startsAt: startsAt),
                                                         Self.alert("db-2", value: "50", startsAt: startsAt),
                                                         Self.alert("db-3", value: "n/a", startsAt: startsAt)].joined(separator: ",") + "]")
        #expect(posted == 200)

        // Routed by role (manager) and group (oncall); db-2 is below the tier, db-3 refused.
        #expect(Poll.until(timeout: DeliveryKit.patience) { !Self.webhooks(receiver, transition: "firing").isEmpty },
                "no firing webhook; herald log:\n\(herald.logText())\nalertmanager log:\n\(alertmanager.logText())")
        let firing = try #require(Self.webhooks(receiver, transition: "firing").first)
        #expect(Set(DeliveryKit.recipientIDs(firing)) == ["u-mgr", "u-ops"])
        #expect((firing.json["subject"] as? [String: Any])?["id"] as? String == "db-1")
        #expect((firing.json["rule"] as? [String: Any])?["id"] as? String == "disk-full")
        #expect(firing.verified_with == [0], "Herald signs what it delivers")
        let refused = #"herald_bridge_alerts_refused_total{bridge="alertmanager",reason="bad_value"}"#
        #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? ApiFixture.metrics(herald))?[refused] ?? 0) >= 1 })
        #expect(herald.logText().contains("bridge alert refused, ignoring it"))

        // Alertmanager re-sends the unchanged group every repeat_interval: duplicates.
        let sentBefore = alertmanager.metric("alertmanager_notifications_total", containing: [#"integration="webhook""#])
        #expect(Poll.until(timeout: DeliveryKit.patience) {
            alertmanager.metric("alertmanager_notifications_total", containing: [#"integration="webhook""#]) >= sentBefore + 2
        }, "alertmanager did not re-send the group")
        #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? ApiFixture.metrics(herald))?["herald_events_duplicate_total"] ?? 0) >= 2 })
        #expect(alertmanager.metric("alertmanager_notifications_failed_total", containing: [#"integration="webhook""#]) == 0,
                "every send was answered 2xx: \(alertmanager.logText())")
        #expect(receiver.requests().count == 1, "re-sends notify nobody again")

        // Resolving db-1 in Alertmanager resolves Herald's episode.
        let endsAt = ISO8601DateFormatter().string(from: Date())
        #expect(try alertmanager.postAlerts("[" + Self.alert("db-1", value: "95", startsAt: startsAt, endsAt: endsAt) + "]") == 200)
        #expect(Poll.until(timeout: DeliveryKit.patience) { !Self.webhooks(receiver, transition: "resolved").isEmpty },
                "no resolved webhook; herald log:\n\(herald.logText())")
        let resolved = try #require(Self.webhooks(receiver, transition: "resolved").first)
        #expect(Set(DeliveryKit.recipientIDs(resolved)) == ["u-mgr", "u-ops"])
        #expect((resolved.json["episode"] as? [String: Any])?["id"] as? String == (firing.json["episode"] as? [String: Any])?["id"] as? String)

        alertmanager.stop()
        #expect(herald.stop() == 0)
    }
}
