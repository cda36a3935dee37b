import Foundation
import Testing
@testable import HeraldDelivery

/// A target's exceptions to the generic reading of answers, as the daemon fills them from
/// the receivers' facts (HeraldCore `ReceiverAnswers`): Discord's `retry_after` body,
/// PagerDuty's and ntfy's least wait after a bare 429, Slack's 410 as a dead letter.
@Suite struct ResponseRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let discord = ResponseRules(retryAfterBodyMember: "retry_after")
    static let pagerduty = ResponseRules(rateLimitWait: 30)
    static let slack = ResponseRules(deadLetterStatuses: [410])

    static func body(_ text: String) -> Data { Data(text.utf8) }

    @Test(arguments: [
        // Discord: the body's seconds (a float) are honoured; finer than the header.
        (discord, 429, nil, #"{"message": "You are being rate limited.", "retry_after": 1.5, "global": false}"#, 1.5),
        // … the later of body and header wins, so a retry never lands inside the window.
        (discord, 429, "3", #"{"retry_after": 2.25}"#, 3.0),
        (discord, 429, "1", #"{"retry_after": 2.25}"#, 2.25),
        // … a malformed or negative body value is ignored; the header still counts.
        (discord, 429, "4", #"{"retry_after": "soon"}"#, 4.0),
        (discord, 429, nil, #"{"retry_after": -1}"#, nil),
        (discord, 429, nil, "not json", nil),
        // … only a 429's body is read: a 503 body naming a wait is not a rate limit.
        (discord, 503, nil, #"{"retry_after": 9}"#, nil),
        // PagerDuty: a 429 naming no wait waits its window; one naming a wait keeps it.
        (pagerduty, 429, nil, "", 30.0),
        (pagerduty, 429, "5", "", 5.0),
        (pagerduty, 500, nil, "", nil),
        // The generic reading: the header only.
        (ResponseRules.generic, 429, nil, #"{"retry_after": 7}"#, nil),
        (ResponseRules.generic, 429, "7", "", 7.0),
    ] as [(ResponseRules, Int, String?, String, Double?)])
    func readsTheRequestedWait(rules: ResponseRules, status: Int, header: String?, body: String, expected: Double?) {
        #expect(rules.requestedWait(status: status, retryAfter: header, body: Self.body(body), now: Self.now) == expected)
    }

    @Test func slacksArchivedChannelIsADeadLetterNotAStoppedTarget() {
        #expect(Self.slack.classify(status: 410, error: nil) == .permanent(.clientError, reason: "http 410 (not retried for this receiver)"))
        #expect(ResponseRules.generic.classify(status: 410, error: nil) == .gone)
        // Everything else reads as the generic table.
        #expect(Self.slack.classify(status: 429, error: nil) == .transient(.rateLimited, reason: "http 429"))
        #expect(Self.slack.classify(status: 400, error: nil) == .permanent(.clientError, reason: "http 400"))
        #expect(Self.slack.classify(status: nil, error: .timeout("t")) == .transient(.timeout, reason: "timeout: t"))
    }

    /// End to end through the dispatcher's outcome: a Discord 429 with `retry_after: 1.5`
    /// retries 1.5 s later even though the schedule's step (jittered to 0) is sooner.
    @Test func theDispatcherRetriesAfterTheBodysWait() throws {
        var settings = TargetSettings(name: "discord", url: URL(string: "http://127.0.0.1:9/x")!, secrets: [],
                                      schedule: [0, 5], jitter: .full)
        settings.responseRules = Self.discord
        let job = DeliveryJob(deliveryID: "msg_1", target: settings, body: Data(), createdAt: Self.now)
        let response = WebhookResponse(status: 429, retryAfter: nil, excerpt: Self.body(#"{"retry_after": 1.5, "global": false}"#),
                                       error: nil, duration: 0.01)
        let outcome = WebhookDispatcher.outcome(for: response, job: job, now: Self.now, random: { 0 })
        #expect(outcome == .retry(at: Self.now + 1.5, status: 429, reason: .rateLimited, error: "http 429"))
        settings.responseRules = .generic
        let generic = WebhookDispatcher.outcome(for: response, job: DeliveryJob(deliveryID: "msg_1", target: settings, body: Data(), createdAt: Self.now),
                                                now: Self.now, random: { 0 })
        #expect(generic == .retry(at: Self.now, status: 429, reason: .rateLimited, error: "http 429"))
    }
}
