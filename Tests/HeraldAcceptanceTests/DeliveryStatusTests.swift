import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// "Was it delivered?" through the API: each webhook's final outcome is recorded
    /// against its notice (issue #17 item 5), and episodes are listed without an id.
    @Suite struct Status {
        typealias D = DeliveryKit

        @Test func aNoticeShowsEachWebhooksOutcomeAndTheEpisodeListShowsItsStatus() throws {
            let receiver = try PythonReceiver(secrets: [D.secret])
            let herald = try D.start(D.config(targets: [D.target("good", url: receiver.url("/ok")),
                                                        D.target("bad", url: receiver.url("/status/400"))]))
            try D.fire(herald, subjects: ["p-1"])
            let dead = DeadLetters.waitForDeadLetters(herald, count: 1)
            try #require(dead.count == 1)
            let request = try #require(D.waitForRequests(receiver, count: 2).first { $0.path == "/ok" })
            let notice = D.notificationID(request)
            // Both outcomes recorded: the good target's 2xx once its (batched) mark is committed.
            var status: [String: Any] = [:]
            _ = Poll.until(timeout: D.patience) {
                status = (try? HTTPClient.get(herald.url("/v1/notifications/\(notice)"), token: D.token))?.json ?? [:]
                return status["status"] as? String != "pending" && (status["deliveries"] as? [[String: Any]])?.count == 2
            }
            #expect(status["status"] as? String == "dead_lettered", "\(status)")
            #expect(status["rule"] as? String == "load-high")
            let deliveries = status["deliveries"] as? [[String: Any]] ?? []
            let good = try #require(deliveries.first { $0["target"] as? String == "good" })
            #expect(good["status"] as? String == "delivered")
            #expect(good["attempts"] as? Int == 1)
            #expect((good["responseStatus"] as? Int).map { (200..<300).contains($0) } == true)
            let bad = try #require(deliveries.first { $0["target"] as? String == "bad" })
            #expect(bad["status"] as? String == "dead_lettered")
            #expect(bad["responseStatus"] as? Int == 400)
            #expect((bad["error"] as? String)?.contains("400") == true)
            #expect(bad["id"] as? String == dead.first?["deliveryId"] as? String)
            #expect(try HTTPClient.get(herald.url("/v1/notifications/load-high/none"), token: D.token).status == 404)

            let open = try HTTPClient.get(herald.url("/v1/episodes?state=open"), token: D.token)
            #expect(open.status == 200, "\(open.text)")
            let episode = try #require((open.json["episodes"] as? [[String: Any]])?.first)
            #expect(episode["state"] as? String == "open")
            #expect(episode["tier"] as? String == "high")
            #expect((episode["subject"] as? [String: Any])?["name"] as? String == "Subject p-1")
            #expect(episode["told"] as? [String] == ["u-a"])
            let notices = episode["notices"] as? [[String: Any]] ?? []
            #expect(notices.map { $0["id"] as? String } == [notice])
            #expect(notices.first?["delivery"] as? String == "dead_lettered")
            let resolved = try HTTPClient.get(herald.url("/v1/episodes?state=resolved"), token: D.token)
            #expect((resolved.json["episodes"] as? [Any])?.isEmpty == true)
            #expect(try HTTPClient.get(herald.url("/v1/episodes?state=closed"), token: D.token).status == 400)
            #expect(herald.stop() == 0)
        }
    }
}
