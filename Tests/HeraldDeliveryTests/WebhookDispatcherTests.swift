import Dispatch
import Foundation
import HeraldSupport
import Testing
import HeraldTestKit
@testable import HeraldDelivery

/// The dispatcher end to end: sign, send to a Python receiver, classify, report.
/// The clock is fixed and jitter is off, so retry times are exact.
@Suite struct WebhookDispatcherTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let secrets = [SigningTests.otherSecret, SigningTests.specSecret]

    /// One receiver, client, dispatcher and report collector; `stop()` ends them all.
    final class Harness: Sendable {
        let receiver: PythonReceiver
        let client: WebhookClient
        let dispatcher: WebhookDispatcher
        let reports = Collector<DeliveryReport>()
        let metrics = MetricsRegistry()

        init() throws {
            receiver = try PythonReceiver(secrets: WebhookDispatcherTests.secrets)
            client = try WebhookClient()
            dispatcher = WebhookDispatcher(client: client, version: "1.2.3", metrics: metrics,
                                           now: { WebhookDispatcherTests.now }, random: { 1 },
                                           onReport: { [reports] in reports.append($0) })
        }

        func target(_ name: String = "ops", path: String, timeout: TimeInterval = 5, maxConcurrent: Int = 2) throws -> TargetSettings {
            TargetSettings(name: name, url: receiver.url(path), headers: [("X-Team", "ops"), ("webhook-id", "spoofed")],
                           secrets: try WebhookDispatcherTests.secrets.map { try WebhookSecret(parsing: $0) },
                           timeout: timeout, connectTimeout: 1, maxConcurrent: maxConcurrent, jitter: .none)
        }

        func job(_ id: String, _ target: TargetSettings, attempts: Int = 0) -> DeliveryJob {
            DeliveryJob(deliveryID: id, target: target, body: Data("{\"id\":\"\(id)\"}".utf8), attempts: attempts,
                        createdAt: WebhookDispatcherTests.now)
        }

        /// Enqueues one job and waits (bounded) for its single report.
        func deliver(_ job: DeliveryJob) -> DeliveryReport? {
            let before = reports.current.count
            guard dispatcher.enqueue(job) else { return nil }
            return reports.wait(for: before + 1).dropFirst(before).first
        }

        func stop() {
            dispatcher.shutdown(deadline: .now() + 2)
            receiver.stop()
        }
    }

    @Test func deliversSignedRequestThatPythonVerifies() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let report = try #require(harness.deliver(harness.job("msg_ok", try harness.target(path: "/ok"))))
        guard case .delivered(let status, _) = report.outcome else {
            Issue.record("expected delivered, got \(report.outcome)")
            return
        }
        #expect(status == 200)
        #expect(report.attempt == 1)
        let received = try #require(harness.receiver.requests().first)
        #expect(received.headers["webhook-id"] == "msg_ok")
        #expect(received.headers["webhook-timestamp"] == "1800000000")
        #expect(received.verified_with == [0, 1])   // both rotation secrets verify
        #expect(received.headers["user-agent"] == "Herald/1.2.3")
        #expect(received.headers["content-type"] == "application/json")
        #expect(received.headers["x-team"] == "ops")
        #expect(received.bodyData == Data("{\"id\":\"msg_ok\"}".utf8))
        #expect(harness.metrics.value("herald_deliveries_total", [("target", "ops"), ("outcome", "delivered")]) == 1)
        #expect(harness.metrics.value("herald_delivery_attempts_total", [("target", "ops")]) == 1)
        #expect(harness.metrics.value("herald_delivery_inflight", [("target", "ops")]) == 0)
        #expect(harness.metrics.exposition().contains("herald_delivery_seconds_count 1"))
    }

    @Test func serverErrorRetriesThenDelivers() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let target = try harness.target(path: "/flaky")
        let first = try #require(harness.deliver(harness.job("msg_flaky", target)))
        #expect(first.outcome == .retry(at: Self.now + 5, status: 500, reason: .serverError, error: "http 500"))
        // The daemon re-submits when due, with the attempt counted.
        let second = try #require(harness.deliver(harness.job("msg_flaky", target, attempts: 1)))
        #expect(second.attempt == 2)
        guard case .delivered(200, _) = second.outcome else {
            Issue.record("expected delivered, got \(second.outcome)")
            return
        }
        // webhook-id is the same on both attempts, so the receiver can de-duplicate.
        #expect(harness.receiver.requests().map { $0.headers["webhook-id"] } == ["msg_flaky", "msg_flaky"])
    }

    /// (path, expected outcome) for single attempts.
    @Test(arguments: [
        ("/status/429?retry_after=120", DeliveryOutcome.retry(at: now + 120, status: 429, reason: .rateLimited, error: "http 429")),  // Retry-After honoured
        ("/status/503", .retry(at: now + 5, status: 503, reason: .serverError, error: "http 503")),                                   // 5xx retried
        ("/status/400", .deadLetter(status: 400, reason: .clientError, error: "http 400", excerpt: Data("status 400".utf8))),         // permanent
        ("/status/410", .targetDisabled(status: 410)),                                                           // gone
        ("/redirect", .deadLetter(status: 302, reason: .redirect, error: "http 302 (redirects are not followed)", excerpt: Data())), // not followed
    ])
    func singleAttemptOutcomes(path: String, expected: DeliveryOutcome) throws {
        let harness = try Harness()
        defer { harness.stop() }
        let report = try #require(harness.deliver(harness.job("msg", try harness.target(path: path))))
        #expect(report.outcome == expected)
        #expect(harness.metrics.value("herald_deliveries_total", [("target", "ops"), ("outcome", expected.label)]) == 1)
    }

    @Test func exhaustedBudgetDeadLettersWithTheResponseExcerpt() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let report = try #require(harness.deliver(harness.job("msg", try harness.target(path: "/status/500"), attempts: 7)))
        #expect(report.outcome == .deadLetter(status: 500, reason: .serverError, error: "gave up after 8 attempts: http 500", excerpt: Data("status 500".utf8)))
    }

    @Test func timeoutAndRefusedConnectionAreRetried() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let slow = try #require(harness.deliver(harness.job("msg_slow", try harness.target(path: "/slow?ms=3000", timeout: 0.3))))
        guard case .retry(let at, nil, .timeout, let error) = slow.outcome else {
            Issue.record("expected retry, got \(slow.outcome)")
            return
        }
        #expect(at == Self.now + 5)
        #expect(error.hasPrefix("timeout"))

        var down = try harness.target("down", path: "/ok")
        let other = try PythonReceiver()
        down.url = other.url("/ok")
        other.stop()
        let refused = try #require(harness.deliver(harness.job("msg_down", down)))
        guard case .retry(_, nil, .connect, let refusedError) = refused.outcome else {
            Issue.record("expected retry, got \(refused.outcome)")
            return
        }
        #expect(refusedError.hasPrefix("connect"))
    }

    /// Three slow jobs fill the slow target's single slot; the fast target's three jobs
    /// must all be reported before the first slow one finishes.
    @Test func slowTargetDoesNotDelayFastTarget() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let slow = try harness.target("slow", path: "/slow?ms=1500", maxConcurrent: 1)
        let fast = try harness.target("fast", path: "/ok", maxConcurrent: 1)
        for index in 0..<3 { #expect(harness.dispatcher.enqueue(harness.job("slow-\(index)", slow))) }
        #expect(harness.dispatcher.pendingCount(target: "slow") == 2)
        for index in 0..<3 { #expect(harness.dispatcher.enqueue(harness.job("fast-\(index)", fast))) }
        let reports = harness.reports.wait(for: 4, timeout: 10)
        #expect(reports.prefix(3).map(\.job.target.name) == ["fast", "fast", "fast"])
        #expect(reports.dropFirst(3).first?.job.target.name == "slow")
    }

    @Test func fullTargetQueueRefusesAndShutdownReturnsUnstartedJobs() throws {
        let harness = try Harness()
        defer { harness.receiver.stop() }
        let target = try harness.target(path: "/slow?ms=5000", maxConcurrent: 1)
        // One job in flight plus the queue bound; the next is refused.
        for index in 0...WebhookDispatcher.maxQueuedJobsPerTarget {
            #expect(harness.dispatcher.enqueue(harness.job("m\(index)", target)))
        }
        #expect(!harness.dispatcher.enqueue(harness.job("overflow", target)))
        #expect(harness.metrics.value("herald_delivery_rejected_total", [("target", "ops")]) == 1)
        let dropped = harness.dispatcher.shutdown(deadline: .now() + .milliseconds(100))
        #expect(dropped.count == WebhookDispatcher.maxQueuedJobsPerTarget)
        // The job in flight is aborted and reported as a retry: exactly one report.
        let reports = harness.reports.wait(for: 1, timeout: 5)
        #expect(reports.count == 1)
        #expect(reports.first?.outcome == .retry(at: Self.now + 5, status: nil, reason: .aborted, error: "aborted: client shut down"))
        #expect(!harness.dispatcher.enqueue(harness.job("late", target)))
    }

    @Test func queuedBodiesAreBoundedInBytesButAnOversizedOneStillGoesAlone() throws {
        let harness = try Harness()
        defer { harness.receiver.stop() }
        let quarter = Data(count: WebhookDispatcher.maxQueuedBytesPerTarget / 4)
        let slow = try harness.target("slow", path: "/slow?ms=5000", maxConcurrent: 1)
        let job = { (id: String, target: TargetSettings, body: Data) in
            DeliveryJob(deliveryID: id, target: target, body: body, createdAt: Self.now)
        }
        // The first starts at once; four more fill the byte bound exactly, far below the count bound.
        for index in 0..<5 { #expect(harness.dispatcher.enqueue(job("q\(index)", slow, quarter))) }
        #expect(harness.dispatcher.pendingCount(target: "slow") == 4)
        #expect(!harness.dispatcher.enqueue(job("one-more-byte", slow, Data(count: 1))))
        // A body larger than the whole bound is taken by an empty queue, and then alone.
        let other = try harness.target("other", path: "/slow?ms=5000", maxConcurrent: 1)
        #expect(harness.dispatcher.enqueue(job("busy", other, Data(count: 1))))
        #expect(harness.dispatcher.enqueue(job("oversized", other, Data(count: WebhookDispatcher.maxQueuedBytesPerTarget + 1))))
        #expect(!harness.dispatcher.enqueue(job("behind-it", other, Data(count: 1))))
        let dropped = harness.dispatcher.shutdown(deadline: .now() + .milliseconds(100))
        #expect(Set(dropped.map(\.deliveryID)) == ["q1", "q2", "q3", "q4", "oversized"])
        #expect(harness.reports.wait(for: 2, timeout: 5).count == 2)   // the two in flight, aborted
    }

    @Test func configHeadersCannotReplaceSignatureHeaders() throws {
        let harness = try Harness()
        defer { harness.stop() }
        let job = harness.job("msg_real", try harness.target(path: "/ok"))
        let names = harness.dispatcher.headers(for: job).map { $0.0.lowercased() }
        #expect(names.filter { $0 == "webhook-id" }.count == 1)
        #expect(harness.dispatcher.headers(for: job).first { $0.0 == "webhook-id" }?.1 == "msg_real")
    }

    @Test func targetWithoutSecretsIsDeadLetteredUnsent() throws {
        let harness = try Harness()
        defer { harness.stop() }
        var target = try harness.target(path: "/ok")
        target.secrets = []
        let report = try #require(harness.deliver(harness.job("msg", target)))
        #expect(report.outcome == .deadLetter(status: nil, reason: .invalidRequest, error: "invalid_request: target has no signing secret", excerpt: Data()))
        #expect(harness.receiver.requests().isEmpty)
    }
}
