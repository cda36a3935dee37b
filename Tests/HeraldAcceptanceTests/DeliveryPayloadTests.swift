import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// What one webhook looks like on the wire: Standard Webhooks headers checked by
    /// Python's own HMAC, and the documented payload fields.
    @Suite struct Payload {
        @Test func headersAreStandardWebhooksAndSignatureVerifiesInPython() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/ok"))]))
            let sentAt = Date()
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            try #require(received.count == 1)
            let request = received[0]
            #expect(request.path == "/ok")
            #expect(request.verified_with == [0], "signature \(request.headers["webhook-signature"] ?? "-") did not verify in Python")
            let id = try #require(request.headers["webhook-id"])
            #expect(id.hasPrefix("msg_") && id.count > 4)
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap(TimeInterval.init))
            #expect(abs(timestamp - sentAt.timeIntervalSince1970) < 30, "webhook-timestamp \(timestamp) is not close to now")
            #expect(request.headers["webhook-signature"]?.hasPrefix("v1,") == true)
            #expect(request.headers["user-agent"]?.hasPrefix("Herald/") == true, "user-agent: \(request.headers["user-agent"] ?? "-")")
            #expect(request.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(herald.stop() == 0)
        }

        @Test func payloadCarriesTheNotification() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                users: """
                    {"id": "owner", "name": "Owner", "owner": true},
                    {"id": "u-a", "name": "Ann Archer", "contact": {"email": "ann@example.org", "addresses": {"ops": "ann-on-ops"}}}
                    """,
                targets: [DeliveryKit.target("ops", url: receiver.url("/ok"))]))
            let before = Date()
            try DeliveryKit.fire(herald, subjects: ["p-7"], value: 12.5)
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            try #require(received.count == 1)
            let body = received[0].json
            let id = try #require(body["id"] as? String)
            #expect(!id.isEmpty)
            #expect(body["type"] as? String == "herald.notification.firing")
            #expect(body["transition"] as? String == "firing")
            #expect(body["target"] as? String == "ops")
            let rule = try #require(body["rule"] as? [String: Any])
            #expect(rule["id"] as? String == "load-high")
            #expect(rule["name"] as? String == "Rule load-high")
            let tier = try #require(body["tier"] as? [String: Any])
            #expect(tier["name"] as? String == "high")
            #expect(tier["threshold"] as? Double == 10)
            let subject = try #require(body["subject"] as? [String: Any])
            #expect(subject["id"] as? String == "p-7")
            #expect(subject["name"] as? String == "Subject p-7")
            let event = try #require(body["event"] as? [String: Any])
            #expect(event["metric"] as? String == "load")
            #expect(event["value"] as? Double == 12.5)
            #expect((event["id"] as? String)?.hasPrefix("evt-load-p-7-") == true)
            let recipients = try #require(body["recipients"] as? [[String: Any]])
            try #require(recipients.count == 1)
            #expect(recipients[0]["id"] as? String == "u-a")
            #expect(recipients[0]["name"] as? String == "Ann Archer")
            #expect(recipients[0]["address"] as? String == "ann-on-ops")
            #expect(recipients[0]["email"] as? String == "ann@example.org")
            #expect(recipients[0]["path"] != nil, "recipient has no path: \(recipients[0])")
            #expect(body["excluded"] == nil, "excluded people are not for the receiver")
            let parser = ISO8601DateFormatter()
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let occurred = try #require((body["occurredAt"] as? String).flatMap(parser.date(from:)))
            let notified = try #require((body["notifiedAt"] as? String).flatMap(parser.date(from:)))
            #expect(abs(occurred.timeIntervalSince(before)) < 30)
            #expect(notified.timeIntervalSince(before) > -1 && notified.timeIntervalSinceNow < 1)
            #expect(herald.stop() == 0)
        }

        @Test func twoSecretsDuringRotationBothVerify() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret, DeliveryKit.nextSecret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: receiver.url("/ok"), secrets: ["SECRET_A", "SECRET_B"]),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            try #require(received.count == 1)
            #expect(received[0].verified_with == [0, 1], "signatures: \(received[0].headers["webhook-signature"] ?? "-")")
            #expect(received[0].headers["webhook-signature"]?.split(separator: " ").count == 2)
            #expect(herald.stop() == 0)
        }

        @Test func configuredHeadersAreSentButCannotSpoofSignatureHeaders() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: receiver.url("/ok"), extra: DeliveryKit.fastRetries +
                    #", "headers": {"X-Gateway": "herald", "webhook-id": "msg_spoofed", "User-Agent": "evil"}"#),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            try #require(received.count == 1)
            #expect(received[0].headers["x-gateway"] == "herald")
            #expect(received[0].headers["webhook-id"] != "msg_spoofed")
            #expect(received[0].headers["user-agent"]?.hasPrefix("Herald/") == true)
            #expect(received[0].verified_with == [0])
            #expect(herald.stop() == 0)
        }

        @Test func redirectIsNotFollowedAndEndsAsDeadLetter() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/redirect"))]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            Thread.sleep(forTimeInterval: 0.5)
            #expect(receiver.requests().map(\.path) == ["/redirect"], "the signed body must not follow a redirect")
            #expect(try DeliveryKit.deadLetters(herald).first?["lastStatus"] as? Int == 302)
            #expect(herald.stop() == 0)
        }
    }
}
