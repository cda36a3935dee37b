import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests.Channels {
    static let bothUsers = DeliveryKit.rule(notify: #"[{"user": "u-a"}, {"user": "u-b"}]"#)

    /// Discord: a 429 whose wait is only in its JSON body (`retry_after: 1.5`, no
    /// `Retry-After` header) is honoured — the schedule alone would retry after 200 ms —
    /// with the same webhook-id; the retried message has `content` (else 400 50006).
    @Test func discordHonoursTheRetryAfterInA429Body() throws {
        let receiver = try PythonReceiver()
        let url = receiver.url("/discord").absoluteString + "?limited=1"
        let herald = try Self.start(DeliveryKit.config(targets: [Self.channelTarget("discord", format: "discord", url: "\"\(url)\"")]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        let requests = DeliveryKit.waitForRequests(receiver, count: 2)
        try #require(requests.count == 2, "expected 429 then 204, got \(requests.count)")
        #expect((requests[1].at ?? 0) - (requests[0].at ?? 0) >= 1.4, "retry_after 1.5 in the body was not honoured")
        #expect(requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
        #expect((requests[1].json["content"] as? String)?.contains("Rule load-high for Subject p-1") == true)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(receiver.requests().count == 2)
        #expect(try DeliveryKit.deadLetters(herald).isEmpty)
        #expect(herald.stop() == 0)
    }

    /// Teams (Power Automate), Mattermost and Google Chat fakes accept what Herald sends
    /// (a card message, Markdown text, a card with a requestId); with secrets the
    /// messages to two people carry each one's own ack link, which opens the ack page.
    @Test func teamsMattermostAndGoogleChatAreAcceptedWithEachPersonsAckLink() throws {
        let receiver = try PythonReceiver()
        func target(_ id: String, _ format: String, _ path: String) -> String {
            Self.channelTarget(id, format: format, url: "\"\(receiver.url(path).absoluteString)\"", extra: #""secrets": [{"env": "SECRET_A"}]"#)
        }
        let herald = try Self.start(DeliveryKit.config(targets: [
            target("teams", "teams", "/teams"), target("mm", "mattermost", "/mattermost"), target("gchat", "google-chat", "/gchat"),
        ], rules: [Self.bothUsers]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        let requests = DeliveryKit.waitForRequests(receiver, count: 3)
        try #require(requests.count == 3, "got \(requests.map(\.path))")
        #expect(try DeliveryKit.deadLetters(herald).isEmpty, "every fake accepted its message")
        let byPath = Dictionary(requests.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let teams = String(decoding: try #require(byPath["/teams"]).bodyData, as: UTF8.self)
        #expect(teams.contains("Acknowledge as: [Ann Archer](http://127.0.0.1:"), "\(teams)")
        let mattermost = try #require(byPath["/mattermost"]?.json["text"] as? String)
        #expect(mattermost.contains("Acknowledge as: [Ann Archer](http://127.0.0.1:"), "\(mattermost)")
        let gchat = try #require(byPath["/gchat"])
        #expect(gchat.query?.contains("requestId=") == true && gchat.query?.contains("messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD") == true)
        #expect((gchat.json["fallbackText"] as? String)?.hasPrefix("[high] Rule load-high for Subject p-1") == true)
        let gchatText = String(decoding: gchat.bodyData, as: UTF8.self)
        #expect(gchatText.contains("Acknowledge as: <a href=\\\"http://127.0.0.1:"), "\(gchatText)")
        // The link is a real one: its page opens (GET never changes anything).
        let link = try #require(mattermost.range(of: #"\(http://[^)]+/ack/[^)]+\)"#, options: .regularExpression).map {
            String(mattermost[$0].dropFirst().dropLast())
        })
        let page = try HTTPClient.get(URL(string: link)!)
        #expect(page.status == 200, "ack page: \(page.status)")
        #expect(herald.stop() == 0)
    }

    /// ntfy per recipient: each person's message says who else was told.
    @Test func aPerRecipientMessageSaysWhoElseWasTold() throws {
        let receiver = try PythonReceiver()
        let users = """
            {"id": "owner", "name": "Owner", "owner": true},
            {"id": "u-a", "name": "Ann Archer", "contact": {"ntfy": "ann-alerts"}},
            {"id": "u-b", "name": "Ben Baker", "contact": {"ntfy": "ben-alerts"}}
            """
        let herald = try Self.start(DeliveryKit.config(users: users, targets: [
            #"{"id": "phone", "format": "ntfy", "url": "\#(receiver.url("/ok").absoluteString)"}"#,
        ], rules: [Self.bothUsers]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        let requests = DeliveryKit.waitForRequests(receiver, count: 2)
        try #require(requests.count == 2)
        let byTopic = Dictionary(requests.map { ($0.json["topic"] as? String ?? "?", $0.json["message"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(byTopic["ann-alerts"]?.contains("Also told: Ben Baker (user:u-b)") == true, "\(byTopic)")
        #expect(byTopic["ben-alerts"]?.contains("Also told: Ann Archer (user:u-a)") == true, "\(byTopic)")
        #expect(herald.stop() == 0)
    }

    /// A per-recipient ntfy target without a topic of its own cannot reach Ben (no
    /// `contact.ntfy`): Ann is sent to, Ben is not — and that is counted per target and
    /// logged with his id, never skipped silently.
    @Test func aRecipientWithoutTheContactFieldIsCountedAndLogged() throws {
        let receiver = try PythonReceiver()
        let users = """
            {"id": "owner", "name": "Owner", "owner": true},
            {"id": "u-a", "name": "Ann Archer", "contact": {"ntfy": "ann-alerts"}},
            {"id": "u-b", "name": "Ben Baker"}
            """
        let herald = try Self.start(DeliveryKit.config(users: users, targets: [
            #"{"id": "phone", "format": "ntfy", "url": "\#(receiver.url("/ok").absoluteString)"}"#,
        ], rules: [Self.bothUsers]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        let requests = DeliveryKit.waitForRequests(receiver, count: 1)
        #expect(requests.map { $0.json["topic"] as? String } == ["ann-alerts"])
        let metrics = try ApiFixture.metrics(herald)
        #expect(metrics[#"herald_recipients_unreachable_total{target="phone"}"#] == 1, "\(metrics.filter { $0.key.contains("unreachable") })")
        #expect(Poll.until(timeout: 5) { herald.logText().contains("recipients without contact 'ntfy' are not sent to on target 'phone'") })
        #expect(herald.logText().contains("u-b"))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(receiver.requests().count == 1)
        #expect(herald.stop() == 0)
    }

    /// template with secrets: the operator's JSON body, filled in, signed like a
    /// standard webhook (an independent HMAC in the receiver verifies it).
    @Test func aTemplateBodyIsFilledAndSigned() throws {
        let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
        let herald = try Self.start(DeliveryKit.config(targets: [
            Self.channelTarget("in-house", format: "template", url: "\"\(receiver.url("/ok").absoluteString)\"",
                               extra: #""secrets": [{"env": "SECRET_A"}], "template": {"text": "{{headline}}", "episode": "{{episode.id}}", "n": 1}"#),
        ]))
        try DeliveryKit.fire(herald, subjects: ["p-1"])
        let request = try #require(DeliveryKit.waitForRequests(receiver, count: 1).first)
        #expect(request.verified_with == [0], "the signature must verify with the target's secret")
        #expect(request.json["text"] as? String == "[high] Rule load-high for Subject p-1 (participant p-1): 15 (threshold 10) — new")
        #expect((request.json["episode"] as? String)?.hasPrefix("load-high/p-1/1@") == true)
        #expect(request.json["n"] as? Int == 1)
        #expect(herald.stop() == 0)
    }
}
