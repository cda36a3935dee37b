import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// #17 item 2 against the real binary: a notice whose audience is empty (its only
    /// user inactive) is never silent — counted, logged with why, audited as unrouted,
    /// and delivered to the `unrouted` fallback when one is set.
    @Suite struct Unrouted {
        static let users = """
            {"id": "owner", "name": "Owner", "owner": true},
            {"id": "u-gone", "name": "Gone", "active": false},
            {"id": "u-ops", "name": "Ops"}
            """

        static func config(receiver: PythonReceiver, fallback: Bool) -> String {
            let base = DeliveryKit.config(users: Self.users, targets: [DeliveryKit.target("chat", url: receiver.url("/ok"))],
                                          rules: [DeliveryKit.rule(notify: #"[{"user": "u-gone"}]"#)])
            guard fallback else { return base }
            return base.replacingOccurrences(of: #""server": {"#, with: #""server": {"unrouted": {"notify": [{"user": "u-ops"}]}, "#)
        }

        @Test func withoutAFallbackTheNoticeIsCountedLoggedAndAudited() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(Self.config(receiver: receiver, fallback: false))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(try ApiFixture.metrics(herald)[#"herald_notifications_unrouted_total{rule="load-high"}"#] == 1)
            #expect(herald.waitForLog("notice has no recipients, no 'unrouted' fallback reached anyone"))
            let line = herald.logText().split(separator: "\n").first { $0.contains("notice has no recipients") } ?? ""
            #expect(line.contains("rule.id=load-high") && line.contains("subject.id=p-1") && line.contains("excluded=\"inactive ×1\""), "\(line)")
            let audit = try HTTPClient.get(herald.url("/v1/notifications?subject=p-1"), token: DeliveryKit.token)
            let entry = try #require((audit.json["notifications"] as? [[String: Any]])?.first)
            #expect(entry["unrouted"] as? Bool == true)
            #expect((entry["recipients"] as? [Any])?.isEmpty == true)
            Thread.sleep(forTimeInterval: 0.5)
            #expect(receiver.requests().isEmpty)
            #expect(herald.stop() == 0)
        }

        @Test func theServerFallbackReceivesTheNotice() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(Self.config(receiver: receiver, fallback: true))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            try #require(received.count == 1)
            #expect(DeliveryKit.recipientIDs(received[0]) == ["u-ops"])
            #expect(received[0].json["unrouted"] as? Bool == true)
            #expect(try ApiFixture.metrics(herald)[#"herald_notifications_unrouted_total{rule="load-high"}"#] == 1)
            #expect(herald.waitForLog("sent to the 'unrouted' fallback (1 people)"))
            #expect(herald.stop() == 0)
        }
    }
}
