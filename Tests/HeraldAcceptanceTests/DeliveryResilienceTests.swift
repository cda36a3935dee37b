import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// At least once: receiver outages and daemon crashes lose nothing, and one failing
    /// target does not hold up another.
    @Suite struct Resilience {
        /// Enough attempts (with short steps) to outlast an outage of several seconds.
        static let patientRetries = #""retrySchedule": ["0s", "200ms", "400ms"], "maxAttempts": 100"#

        /// Checks that every subject's notification arrived at least once, every copy of
        /// a notification with the same webhook-id and bytes, and all signed.
        static func expectAllDelivered(_ requests: [PythonReceiver.Request], subjects: [String],
                                       sourceLocation: SourceLocation = #_sourceLocation) {
            let bySubject = Dictionary(grouping: requests) { ($0.json["subject"] as? [String: Any])?["id"] as? String ?? "" }
            #expect(Set(bySubject.keys) == Set(subjects), "missing: \(Set(subjects).subtracting(bySubject.keys).sorted())",
                    sourceLocation: sourceLocation)
            for (subject, copies) in bySubject {
                #expect(Set(copies.compactMap { $0.headers["webhook-id"] }).count == 1,
                        "copies of \(subject)'s webhook differ in webhook-id", sourceLocation: sourceLocation)
                #expect(Set(copies.map(\.bodyData)).count == 1, "copies of \(subject)'s webhook differ in body",
                        sourceLocation: sourceLocation)
            }
            #expect(requests.allSatisfy { $0.verified_with == [0] }, sourceLocation: sourceLocation)
        }

        static func subjects(_ count: Int) -> [String] { (1...count).map { "p-\($0)" } }

        @Test func receiverDownThenUpGetsEverything() throws {
            let down = try DeliveryKit.downReceiver()
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: DeliveryKit.url(port: down.port, "/ok"), extra: Self.patientRetries),
            ]))
            let subjects = Self.subjects(10)
            try DeliveryKit.fire(herald, subjects: subjects)
            #expect(Poll.until(timeout: DeliveryKit.patience) { herald.logText().contains("will retry") })
            Thread.sleep(forTimeInterval: 1)
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret], port: down.port, directory: down.directory)
            defer { receiver.stop() }
            let received = DeliveryKit.waitForRequests(receiver, count: subjects.count)
            Self.expectAllDelivered(received, subjects: subjects)
            #expect(try DeliveryKit.deadLetters(herald).isEmpty)
            #expect(herald.stop() == 0)
        }

        @Test func crashWhileReceiverIsDownLosesNothing() throws {
            let down = try DeliveryKit.downReceiver()
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: DeliveryKit.url(port: down.port, "/ok"), extra: Self.patientRetries),
            ]))
            let subjects = Self.subjects(20)
            try DeliveryKit.fire(herald, subjects: Array(subjects.prefix(10)))
            try DeliveryKit.fire(herald, subjects: Array(subjects.suffix(10)))
            #expect(Poll.until(timeout: DeliveryKit.patience) { herald.logText().contains("will retry") })
            herald.crash()
            try herald.start()
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret], port: down.port, directory: down.directory)
            defer { receiver.stop() }
            let received = DeliveryKit.waitForRequests(receiver, count: subjects.count)
            Self.expectAllDelivered(received, subjects: subjects)
            #expect(herald.stop() == 0)
        }

        @Test func crashWithWebhooksInFlightLosesNothing() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: URL(string: receiver.url("/slow").absoluteString + "?ms=1500")!,
                                   extra: Self.patientRetries + #", "timeout": "10s", "maxConcurrent": 2"#),
            ]))
            let subjects = Self.subjects(6)
            try DeliveryKit.fire(herald, subjects: subjects)
            // Two requests have reached the receiver and wait for their answers: crash now.
            #expect(Poll.until(timeout: DeliveryKit.patience) { receiver.requests().count >= 2 })
            herald.crash()
            let beforeRestart = receiver.requests()
            try herald.start()
            // 6 notifications at 2 at a time and 1.5 s each: about 4.5 s after the restart.
            _ = Poll.until(timeout: 30) {
                Set(receiver.requests().map(DeliveryKit.notificationID)).count >= subjects.count
            }
            let received = receiver.requests()
            Self.expectAllDelivered(received, subjects: subjects)
            // What was in flight at the crash is sent again, under the same webhook-id.
            let interrupted = Set(beforeRestart.compactMap { $0.headers["webhook-id"] })
            let resent = Set(received.dropFirst(beforeRestart.count).compactMap { $0.headers["webhook-id"] })
            #expect(interrupted.isSubset(of: resent), "a delivery cut off by the crash was not repeated")
            #expect(herald.stop() == 0)
        }

        @Test func slowTargetDoesNotDelayAnother() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("slow", url: URL(string: receiver.url("/slow").absoluteString + "?ms=5000")!,
                                   extra: Self.patientRetries + #", "timeout": "20s", "maxConcurrent": 1"#),
                DeliveryKit.target("fast", url: receiver.url("/ok")),
            ]))
            let subjects = Self.subjects(10)
            let start = Date()
            try DeliveryKit.fire(herald, subjects: subjects)
            let fast = { receiver.requests().filter { $0.path == "/ok" } }
            #expect(Poll.until(timeout: DeliveryKit.patience) { fast().count >= subjects.count })
            let elapsed = Date().timeIntervalSince(start)
            // The slow target needs 50 s for its ten; the fast one must not wait for them.
            #expect(elapsed < 3, "fast target's deliveries took \(elapsed) s next to a slow target")
            Self.expectAllDelivered(fast(), subjects: subjects)
            herald.crash() // the slow target's backlog is of no interest
        }

        @Test func downTargetDoesNotDelayAnother() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let down = try DeliveryKit.downReceiver()
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("down", url: DeliveryKit.url(port: down.port, "/ok"), extra: Self.patientRetries),
                DeliveryKit.target("fast", url: receiver.url("/ok")),
            ]))
            let subjects = Self.subjects(10)
            let start = Date()
            try DeliveryKit.fire(herald, subjects: subjects)
            #expect(Poll.until(timeout: DeliveryKit.patience) { receiver.requests().count >= subjects.count })
            #expect(Date().timeIntervalSince(start) < 3)
            Self.expectAllDelivered(receiver.requests(), subjects: subjects)
            try? FileManager.default.removeItem(at: down.directory)
            herald.crash()
        }

        /// A disabled (410) target's rows wait in the outbox, all due; more of them than
        /// one outbox read returns must not hide another target's retry that fell due.
        @Test func backlogOfADisabledTargetDoesNotStarveAnotherTargetsRetries() throws {
            let gone = try PythonReceiver(secrets: [DeliveryKit.secret])
            let fast = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                targets: [DeliveryKit.target("gone", url: gone.url("/status/410"), extra: Self.patientRetries + #", "maxConcurrent": 1"#),
                          DeliveryKit.target("fast", url: fast.url("/flaky"), extra: Self.patientRetries)],
                rules: [DeliveryKit.rule("to-gone", metric: "load", targets: ["gone"]),
                        DeliveryKit.rule("to-fast", metric: "queue", targets: ["fast"])]))
            try DeliveryKit.fire(herald, subjects: ["p-0"])
            #expect(Poll.until(timeout: DeliveryKit.patience) { herald.logText().contains("410 Gone") })
            // More waiting rows than the engine's outbox read (1000) returns.
            try DeliveryKit.fire(herald, subjects: (1...1000).map { "p-\($0)" })
            try DeliveryKit.fire(herald, subjects: (1001...1100).map { "p-\($0)" })
            try DeliveryKit.fire(herald, subjects: ["q-1"], metric: "queue")
            // /flaky answers 500 first; the retry is due within 200 ms and read at the next poll.
            let retried = Poll.until(timeout: 5) { fast.requests().count >= 2 }
            #expect(retried, "the fast target's retry never went out: \(fast.requests().count) request(s)")
            #expect(gone.requests().count == 1)
            herald.crash()
        }

        /// SIGTERM lets a webhook in flight finish and records it, so the next start does
        /// not send it again; what was not started waits in the outbox and goes out then.
        @Test func gracefulStopFinishesWhatIsInFlightAndKeepsTheRest() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(targets: [
                DeliveryKit.target("ops", url: URL(string: receiver.url("/slow").absoluteString + "?ms=1000")!,
                                   extra: Self.patientRetries + #", "timeout": "10s", "maxConcurrent": 1"#),
            ]))
            let subjects = Self.subjects(3)
            try DeliveryKit.fire(herald, subjects: subjects)
            #expect(Poll.until(timeout: DeliveryKit.patience) { receiver.requests().count >= 1 })
            #expect(herald.stop() == 0)
            let beforeRestart = receiver.requests()
            #expect(beforeRestart.count == 1, "no new work is started while stopping")
            try herald.start()
            _ = Poll.until(timeout: DeliveryKit.patience) {
                Set(receiver.requests().map(DeliveryKit.notificationID)).count >= subjects.count
            }
            Thread.sleep(forTimeInterval: 1.5)
            let received = receiver.requests()
            Self.expectAllDelivered(received, subjects: subjects)
            #expect(received.count == subjects.count, "the delivery finished during the stop was sent again")
            #expect(herald.stop() == 0)
        }
    }
}
