import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// How failed attempts are judged: retried with the same webhook-id, Retry-After
    /// honoured, timeouts retried, 410 disabling the target until a reload.
    @Suite struct Retries {
        @Test func serverErrorIsRetriedWithTheSameWebhookID() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/flaky"))]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            DeliveryKit.waitForRequests(receiver, count: 2)
            Thread.sleep(forTimeInterval: 0.7) // a 200 must end it: no third attempt
            let all = receiver.requests()
            try #require(all.count == 2, "expected 500 then 200, got \(all.count) requests")
            #expect(all[0].headers["webhook-id"] != nil)
            #expect(all[0].headers["webhook-id"] == all[1].headers["webhook-id"])
            #expect(all[0].bodyData == all[1].bodyData, "a retry sends the same bytes")
            #expect(all.allSatisfy { $0.verified_with == [0] }, "each attempt is signed afresh")
            #expect(try DeliveryKit.deadLetters(herald).isEmpty)
            #expect(herald.stop() == 0)
        }

        @Test func retryAfterIsHonoured() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            // The schedule alone would retry within 200 ms; the receiver asks for 1 s.
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: URL(string: receiver.url("/status/429").absoluteString + "?retry_after=1")!,
                                   extra: #""retrySchedule": ["0s", "200ms"], "maxAttempts": 2"#),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { receiver.requests().count >= 1 })
            let first = Date()
            #expect(Poll.until(timeout: DeliveryKit.patience) { receiver.requests().count >= 2 })
            let gap = Date().timeIntervalSince(first)
            // Polling adds up to ~20 ms to the first sighting, so allow a little slack.
            #expect(gap >= 0.9, "second attempt came \(gap) s after the first despite Retry-After: 1")
            let all = receiver.requests()
            #expect(all.count == 2)
            #expect(Set(all.compactMap { $0.headers["webhook-id"] }).count == 1)
            // Two attempts were the budget: the delivery is now a dead letter with status 429.
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            #expect(try DeliveryKit.deadLetters(herald).first?["lastStatus"] as? Int == 429)
            #expect(herald.stop() == 0)
        }

        @Test func timeoutIsRetried() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: URL(string: receiver.url("/slow").absoluteString + "?ms=3000")!,
                                   extra: #""retrySchedule": ["0s", "200ms"], "maxAttempts": 2, "timeout": "500ms""#),
            ]))
            let start = Date()
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            // Two attempts of 0.5 s each: far sooner than one 3 s response.
            #expect(Date().timeIntervalSince(start) < 2.9)
            let all = receiver.requests()
            #expect(all.count == 2, "the timed-out attempt is retried once (maxAttempts 2)")
            #expect(Set(all.compactMap { $0.headers["webhook-id"] }).count == 1)
            let dead = try #require(try DeliveryKit.deadLetters(herald).first)
            #expect(dead["attempts"] as? Int == 2)
            #expect(dead["lastStatus"] is NSNull, "a timeout has no status: \(dead)")
            let error = (dead["lastError"] as? String ?? "").lowercased()
            #expect(error.contains("timeout") || error.contains("timed out"), "lastError: \(error)")
            #expect(herald.stop() == 0)
        }

        @Test func goneDisablesTheTargetUntilReloadAndKeepsItsRows() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let gone = DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: receiver.url("/status/410"), extra: DeliveryKit.fastRetries + #", "maxConcurrent": 1"#),
            ])
            let herald = try DeliveryKit.start(gone)
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { herald.logText().contains("410 Gone") })
            // Disabled: new notifications for the target wait in the outbox instead of being sent.
            try DeliveryKit.fire(herald, subjects: ["p-2", "p-3"])
            Thread.sleep(forTimeInterval: 1.5)
            #expect(receiver.requests().count == 1, "a disabled target is not sent to")
            let dead = try DeliveryKit.deadLetters(herald)
            #expect(dead.count == 1)
            #expect(dead.first?["lastStatus"] as? Int == 410)
            // A reload (here pointing the target somewhere that works) re-enables it.
            let fixed = gone.replacingOccurrences(of: receiver.url("/status/410").absoluteString, with: receiver.url("/ok").absoluteString)
            #expect(try DeliveryKit.reload(herald, fixed))
            let okCount = { receiver.requests().filter { $0.path == "/ok" }.count }
            #expect(Poll.until(timeout: DeliveryKit.patience) { okCount() >= 2 })
            Thread.sleep(forTimeInterval: 0.5)
            let delivered = receiver.requests().filter { $0.path == "/ok" }
            #expect(delivered.count == 2)
            #expect(Set(delivered.compactMap { ($0.json["subject"] as? [String: Any])?["id"] as? String }) == ["p-2", "p-3"])
            #expect(herald.stop() == 0)
        }

        @Test func goneStopsSendingToTheTargetAtOnce() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: receiver.url("/status/410"), extra: DeliveryKit.fastRetries + #", "maxConcurrent": 1"#),
            ]))
            // Three messages queued at once, one in flight at a time: after the first 410
            // the other two must not be sent, and stay in the outbox rather than die.
            try DeliveryKit.fire(herald, subjects: ["p-1", "p-2", "p-3"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { herald.logText().contains("410 Gone") })
            Thread.sleep(forTimeInterval: 1)
            #expect(receiver.requests().count == 1, "sent to a gone target after its 410")
            #expect(try DeliveryKit.deadLetters(herald).count == 1)
            #expect(herald.stop() == 0)
        }

        @Test func exhaustedRetriesEndAsDeadLetterWithTheLastResponse() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/status/503"))]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            Thread.sleep(forTimeInterval: 0.5)
            #expect(receiver.requests().count == 3, "maxAttempts 3")
            let dead = try #require(try DeliveryKit.deadLetters(herald).first)
            #expect(dead["attempts"] as? Int == 3)
            #expect(dead["lastStatus"] as? Int == 503)
            #expect(dead["responseExcerpt"] as? String == "status 503")
            #expect(herald.stop() == 0)
        }

        @Test func maxAgeEndsRetriesOfAReceiverThatStaysDown() throws {
            let down = try DeliveryKit.downReceiver()
            defer { try? FileManager.default.removeItem(at: down.directory) }
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: DeliveryKit.url(port: down.port, "/ok"),
                                   extra: #""retrySchedule": ["0s", "200ms", "400ms"], "maxAttempts": 100, "maxAge": "1s""#),
            ]))
            let start = Date()
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            #expect(Date().timeIntervalSince(start) < 5)
            let dead = try #require(try DeliveryKit.deadLetters(herald).first)
            #expect((dead["attempts"] as? Int ?? 0) < 100)
            #expect((dead["lastError"] as? String)?.contains("max age") == true, "lastError: \(dead["lastError"] ?? "-")")
            #expect(herald.stop() == 0)
        }
    }
}
