import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// A target that is down cannot grow the outbox past its `maxBacklog`: later notices
    /// become dead letters at once (reason `backlog_full`), counted, named by /readyz, and
    /// re-queueable once the target is back (issue #22).
    @Suite struct BacklogLimit {
        @Test func anUnreachableTargetStopsAtItsBacklogAndTheRestIsDeadLettered() throws {
            let down = try DeliveryKit.downReceiver()
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: DeliveryKit.url(port: down.port, "/ok"),
                                   extra: #""retrySchedule": ["0s", "1h"], "maxAttempts": 5, "maxBacklog": 3"#),
            ]))
            try DeliveryKit.fire(herald, subjects: (1...8).map { "p-\($0)" })

            // Three wait in the outbox, five are dead letters from the start.
            let dead = try DeliveryKit.deadLetters(herald)
            #expect(dead.count == 5)
            #expect(dead.allSatisfy { ($0["lastError"] as? String)?.hasPrefix("backlog_full") == true && $0["attempts"] as? Int == 0 })
            #expect((dead.first?["payload"] as? [String: Any])?["type"] as? String == "herald.notification.firing")
            let series = try ApiFixture.metrics(herald)
            #expect(series["herald_dead_letters_total{target=\"ops\",reason=\"backlog_full\"}"] == 5)
            #expect(series["herald_target_backlog_full{target=\"ops\"}"] == 1)
            let ready = try HTTPClient.get(herald.url("/readyz"))
            #expect(ready.status == 200)
            #expect(ready.json["backlogFull"] as? [String] == ["ops"])
            #expect(Poll.until(timeout: DeliveryKit.patience) {
                (try? ApiFixture.metrics(herald))?["herald_outbox_depth"] == 3
            })

            // The target comes back: the three waiting go out at their retry; a re-queued
            // dead letter goes at once, with the notice's body.
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret], port: down.port, directory: down.directory)
            defer { receiver.stop() }
            let id = try #require(dead.first?["deliveryId"] as? String)
            let retry = try HTTPClient.post(herald.url("/v1/dead-letters/\(id)/retry"), json: "", token: DeliveryKit.token)
            #expect(retry.status == 202, "retry: \(retry.text)")
            let received = DeliveryKit.waitForRequests(receiver, count: 1)
            #expect(received.contains { $0.headers["webhook-id"] == id && DeliveryKit.recipientIDs($0) == ["u-a"] })
            #expect(received.allSatisfy { $0.verified_with == [0] })
            #expect(herald.stop() == 0)
        }
    }
}
