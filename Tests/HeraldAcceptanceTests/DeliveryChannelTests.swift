import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// Channel formats end to end through `herald serve`, against loopback fakes that
    /// answer like the real receivers where it matters (ReceiverScript: `/slack`,
    /// `/v2/enqueue`).
    @Suite struct Channels {
        static let environment = DeliveryKit.environment.merging(["PD_KEY": "R0PAGERDUTYKEY000000000000000001"]) { $1 }

        static func start(_ config: String, extra: [String: String] = [:]) throws -> HeraldProcess {
            try HeraldProcess(config: config, environment: environment.merging(extra) { $1 })
        }

        static func channelTarget(_ id: String, format: String, url: String, extra: String = "") -> String {
            #"{"id": "\#(id)", "format": "\#(format)", "mode": "batch", "url": \#(url), \#(DeliveryKit.fastRetries)\#(extra.isEmpty ? "" : ", " + extra)}"#
        }

        /// Slack: the message has `text` (the fake answers 400 no_text otherwise), a 429
        /// with Retry-After: 1 is honoured with the same webhook-id, the URL comes from a
        /// secret source and appears in no log line.
        @Test func slackGetsTextAndRetryAfterIsHonoured() throws {
            let receiver = try PythonReceiver()
            let secretURL = receiver.url("/slack").absoluteString + "?limited=1"
            let herald = try Self.start(DeliveryKit.config(targets: [
                Self.channelTarget("slack", format: "slack", url: #"{"env": "SLACK_URL"}"#),
            ]), extra: ["SLACK_URL": secretURL])
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let requests = DeliveryKit.waitForRequests(receiver, count: 2)
            try #require(requests.count == 2, "expected 429 then 200, got \(requests.count)")
            #expect((requests[1].at ?? 0) - (requests[0].at ?? 0) >= 0.9, "Retry-After: 1 was not honoured")
            #expect(requests[0].headers["webhook-id"] != nil && requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
            #expect(requests[0].headers["webhook-signature"] == nil, "a target without secrets sends unsigned")
            let text = try #require(requests[1].json["text"] as? String)
            #expect(text == "[high] Rule load-high for Subject p-1 (participant p-1): 15 (threshold 10) — new")
            #expect((requests[1].json["blocks"] as? [Any])?.isEmpty == false)
            Thread.sleep(forTimeInterval: 0.5)
            #expect(receiver.requests().count == 2)
            #expect(try DeliveryKit.deadLetters(herald).isEmpty)
            #expect(!herald.logText().contains("limited=1"), "the secret URL must not be logged")
            #expect(herald.stop() == 0)
        }

        /// The issue's first report: Herald's own JSON to a Slack-like receiver is
        /// refused `400 no_text` and kept as a dead letter (a 400 is not retried).
        @Test func standardJSONToSlackIsRefusedAndDeadLettered() throws {
            let receiver = try PythonReceiver()
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/slack"))]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            #expect(receiver.requests().count == 1)
            #expect(try DeliveryKit.deadLetters(herald).first?["lastStatus"] as? Int == 400)
            #expect(herald.stop() == 0)
        }

        /// `rate: 2/s` spaces requests at least 0.5 s apart instead of bursting.
        @Test func rateSpacesRequests() throws {
            let receiver = try PythonReceiver()
            let herald = try Self.start(DeliveryKit.config(targets: [
                Self.channelTarget("slack", format: "slack", url: "\"\(receiver.url("/slack").absoluteString)\"", extra: #""rate": "2/s""#),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1", "p-2", "p-3"])
            let requests = DeliveryKit.waitForRequests(receiver, count: 3)
            try #require(requests.count == 3)
            let times = requests.compactMap(\.at)
            for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= 0.45, "requests \(b - a) s apart under rate 2/s") }
            #expect(herald.stop() == 0)
        }

        /// PagerDuty: one episode goes trigger → acknowledge (POST /v1/episodes/ack) →
        /// resolve with one dedup_key, each answered 202 success.
        @Test func pagerDutyEpisodeTriggersAcknowledgesAndResolvesWithOneDedupKey() throws {
            let receiver = try PythonReceiver()
            let herald = try Self.start(DeliveryKit.config(targets: [
                Self.channelTarget("pager", format: "pagerduty", url: "\"\(receiver.url("/v2/enqueue").absoluteString)\"",
                                   extra: #""routingKey": {"env": "PD_KEY"}, "severity": {"high": "error"}"#),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let trigger = try #require(DeliveryKit.waitForRequests(receiver, count: 1).first)
            #expect(trigger.json["event_action"] as? String == "trigger")
            #expect(trigger.json["routing_key"] as? String == "R0PAGERDUTYKEY000000000000000001")
            #expect((trigger.json["payload"] as? [String: Any])?["severity"] as? String == "error")
            let episode = try #require(trigger.json["dedup_key"] as? String)
            let ack = try HTTPClient.post(herald.url("/v1/episodes/ack"), json: #"{"episode": "\#(episode)", "user": "u-a"}"#, token: DeliveryKit.token)
            #expect(ack.status == 200, "ack: \(ack.text)")
            _ = DeliveryKit.waitForRequests(receiver, count: 2)
            try DeliveryKit.fire(herald, subjects: ["p-1"], value: 1, expectNotices: 1)
            let all = DeliveryKit.waitForRequests(receiver, count: 3)
            try #require(all.count == 3, "got \(all.map { $0.json["event_action"] ?? "?" })")
            #expect(all.map { $0.json["event_action"] as? String } == ["trigger", "acknowledge", "resolve"])
            #expect(Set(all.compactMap { $0.json["dedup_key"] as? String }) == [episode])
            #expect(try DeliveryKit.deadLetters(herald).isEmpty, "every event was answered 202")
            #expect(herald.stop() == 0)
        }

        /// A PagerDuty-like 400 (invalid event) is not retried: one attempt, one dead letter.
        @Test func invalidEventIsDeadLetteredWithoutRetry() throws {
            let receiver = try PythonReceiver()
            let herald = try Self.start(DeliveryKit.config(targets: [
                Self.channelTarget("pd-template", format: "template", url: "\"\(receiver.url("/v2/enqueue").absoluteString)\"",
                                   extra: #""template": {"routing_key": "x", "event_action": "explode", "dedup_key": "{{episode.id}}"}"#),
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { ((try? DeliveryKit.deadLetters(herald)) ?? []).count == 1 })
            Thread.sleep(forTimeInterval: 0.6)
            #expect(receiver.requests().count == 1)
            #expect(try DeliveryKit.deadLetters(herald).first?["lastStatus"] as? Int == 400)
            #expect(herald.stop() == 0)
        }

        /// ntfy per recipient: the topic comes from the person's contact.
        @Test func ntfyPublishesToThePersonsTopic() throws {
            let receiver = try PythonReceiver()
            let users = """
                {"id": "owner", "name": "Owner", "owner": true},
                {"id": "u-a", "name": "Ann Archer", "contact": {"ntfy": "ann-alerts"}},
                {"id": "u-b", "name": "Ben Baker"}
                """
            let herald = try Self.start(DeliveryKit.config(users: users, targets: [
                #"{"id": "phone", "format": "ntfy", "url": "\#(receiver.url("/ok").absoluteString)", "topic": "fallback"}"#,
            ]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let request = try #require(DeliveryKit.waitForRequests(receiver, count: 1).first)
            #expect(request.json["topic"] as? String == "ann-alerts")
            #expect(request.json["priority"] as? Int == 4)
            #expect(request.headers["content-type"] == "application/json")
            #expect(herald.stop() == 0)
        }
    }
}

extension DeliveryTests {
    /// `herald send-test`: one sample, the receiver's answer printed, the exit status
    /// saying whether it was accepted; the secret URL is shown by host only.
    @Suite struct SendTest {
        @Test func aSampleReachesASlackLikeReceiverAndItsAnswerIsPrinted() throws {
            let receiver = try PythonReceiver()
            let config = DeliveryKit.config(targets: [
                #"{"id": "slack", "format": "slack", "mode": "batch", "url": {"env": "SLACK_URL"}}"#,
                DeliveryKit.target("ops", url: receiver.url("/slack")),
            ])
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-send-test-\(UUID().uuidString).json")
            try config.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            setenv("SLACK_URL", receiver.url("/slack").absoluteString + "?secret-part=1", 1)
            for (name, value) in DeliveryKit.environment { setenv(name, value, 1) }
            let ok = try DeliveryKit.cli(["send-test", "--config", file.path, "--target", "slack"])
            #expect(ok.status == 0, "\(ok.output)\(ok.error)")
            #expect(ok.output.contains("answer: 200"), "\(ok.output)")
            #expect(ok.output.contains("at 127.0.0.1"), "\(ok.output)")
            #expect(!ok.output.contains("secret-part"), "the URL's secret part must not be printed")
            let request = try #require(receiver.requests().first)
            #expect((request.json["text"] as? String)?.contains("Herald send-test (test send-test)") == true)

            // Herald's own JSON to the same receiver: refused, and the answer says why.
            let refused = try DeliveryKit.cli(["send-test", "--config", file.path, "--target", "ops", "--user", "u-b"])
            #expect(refused.status == 1)
            #expect(refused.error.contains("answer: 400"), "\(refused.error)")
            #expect(refused.error.contains("no_text"), "\(refused.error)")
        }
    }
}

extension DeliveryTests.Channels {
    /// kill -9 right after the commit: the Slack message is rendered from the outbox
    /// row after the restart and still arrives (once or more, never zero).
    @Test func killNineBetweenCommitAndSendStillDeliversTheChannelMessage() throws {
        let down = try DeliveryKit.downReceiver(secrets: [])
        let url = DeliveryKit.url(port: down.port, "/slack").absoluteString
        let herald = try Self.start(DeliveryKit.config(targets: [
            #"{"id": "slack", "format": "slack", "mode": "batch", "url": "\#(url)", "retrySchedule": ["0s", "500ms"], "maxAttempts": 50}"#,
        ]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        herald.crash()
        let receiver = try PythonReceiver(port: down.port, directory: down.directory)
        try herald.start()
        let request = try #require(DeliveryKit.waitForRequests(receiver, count: 1).first)
        #expect((request.json["text"] as? String)?.hasPrefix("[high] Rule load-high for Subject p-1") == true)
        #expect(herald.stop() == 0)
        receiver.stop()
    }
}
