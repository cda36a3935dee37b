import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// Permanent failures end as dead letters, listed and re-queued through the API and
    /// the `herald dead-letters` CLI.
    @Suite struct DeadLetters {
        /// Target `ops` at the receiver's /status/400 (permanent failure).
        static func failingConfig(_ receiver: PythonReceiver, path: String = "/status/400") -> String {
            DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url(path))])
        }

        /// Waits for `count` dead letters; returns them.
        static func waitForDeadLetters(_ herald: HeraldProcess, count: Int) -> [[String: Any]] {
            _ = Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count >= count }
            return (try? DeliveryKit.deadLetters(herald)) ?? []
        }

        @Test func badRequestIsDeadLetteredWithoutRetryAndRequeuedByTheAPI() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(Self.failingConfig(receiver))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let dead = Self.waitForDeadLetters(herald, count: 1)
            try #require(dead.count == 1)
            Thread.sleep(forTimeInterval: 0.7) // a retry would come within 200 ms
            let attempts = receiver.requests()
            #expect(attempts.count == 1, "400 is permanent: no retry")
            let entry = dead[0]
            let id = try #require(entry["deliveryId"] as? String)
            #expect(id == attempts.first?.headers["webhook-id"])
            #expect(entry["lastStatus"] as? Int == 400)
            #expect(entry["attempts"] as? Int == 1)
            #expect(entry["responseExcerpt"] as? String == "status 400")
            #expect((entry["lastError"] as? String)?.contains("400") == true)
            #expect(entry["destination"] as? String == "ops")
            #expect((entry["payload"] as? [String: Any])?["id"] as? String == attempts.first.map(DeliveryKit.notificationID))
            // The metric names the closed-set reason the log also uses.
            let series = try ApiFixture.metrics(herald)
            #expect(series["herald_dead_letters_total{target=\"ops\",reason=\"client_error\"}"] == 1)

            // Unknown ids are 404; a write-only token cannot list.
            let unknown = try HTTPClient.post(herald.url("/v1/dead-letters/msg_nope/retry"), json: "", token: DeliveryKit.token)
            #expect(unknown.status == 404)
            #expect(try HTTPClient.get(herald.url("/v1/dead-letters")).status == 401)

            // Fix the target, reload, re-queue: delivered with the same webhook-id and body.
            #expect(try DeliveryKit.reload(herald, Self.failingConfig(receiver, path: "/ok")))
            let retry = try HTTPClient.post(herald.url("/v1/dead-letters/\(id)/retry"), json: "", token: DeliveryKit.token)
            #expect(retry.status == 202, "retry: \(retry.text)")
            let all = DeliveryKit.waitForRequests(receiver, count: 2)
            try #require(all.count == 2)
            #expect(all[1].path == "/ok")
            #expect(all[1].headers["webhook-id"] == id)
            #expect(all[1].bodyData == all[0].bodyData)
            #expect(all[1].verified_with == [0])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? [[:]]).isEmpty })
            #expect(herald.stop() == 0)
        }

        @Test func cliListsAndRequeuesDeadLetters() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(Self.failingConfig(receiver, path: "/status/422"))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let dead = Self.waitForDeadLetters(herald, count: 1)
            let id = try #require(dead.first?["deliveryId"] as? String)
            let state = herald.stateDirectory.path

            // Listed while the daemon runs (the store is in WAL mode).
            let list = try DeliveryKit.cli(["dead-letters", "list", "--state-dir", state])
            #expect(list.status == 0, "list failed: \(list.error)")
            #expect(list.output.contains(id))
            #expect(list.output.contains("status=422"))
            let json = try DeliveryKit.cli(["dead-letters", "list", "--state-dir", state, "--json"])
            #expect(json.status == 0)
            let listed = (try? JSONSerialization.jsonObject(with: Data(json.output.utf8))) as? [String: Any]
            let entries = listed?["deadLetters"] as? [[String: Any]] ?? []
            #expect(entries.map { $0["deliveryId"] as? String } == [id])

            let missing = try DeliveryKit.cli(["dead-letters", "retry", "msg_nope", "--state-dir", state])
            #expect(missing.status != 0)

            #expect(try DeliveryKit.reload(herald, Self.failingConfig(receiver, path: "/ok")))
            let retry = try DeliveryKit.cli(["dead-letters", "retry", id, "--state-dir", state])
            #expect(retry.status == 0, "retry failed: \(retry.error)")
            let all = DeliveryKit.waitForRequests(receiver, count: 2)
            try #require(all.count == 2)
            #expect(all[1].path == "/ok")
            #expect(all[1].headers["webhook-id"] == id)
            let after = try DeliveryKit.cli(["dead-letters", "list", "--state-dir", state])
            #expect(after.status == 0)
            #expect(!after.output.contains(id))
            // The re-queue is in the audit log, by the local user, filed under the notice's subject.
            let audit = try HTTPClient.get(herald.url("/v1/notifications?subject=p-1"), token: DeliveryKit.token)
            let record = (audit.json["notifications"] as? [[String: Any]])?.first { $0["action"] as? String == "retry-dead-letter" }
            #expect((record?["actor"] as? String)?.hasPrefix("local:") == true, "\(audit.text)")
            #expect((record?["deadLetter"] as? [String: Any])?["deliveryId"] as? String == id)
            #expect(herald.stop() == 0)
        }
    }
}
