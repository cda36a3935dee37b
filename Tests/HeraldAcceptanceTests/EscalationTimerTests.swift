import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// The "done when": an unacknowledged 30% notice to the admin group
    /// escalates to the business owner after the set time, once, and a restart between
    /// scheduling and firing neither loses nor repeats it.
    @Suite struct Timers {
        typealias K = EscalationKit

        @Test func unacknowledgedNoticeEscalatesToTheOwnerOnceAfterTheSetTime() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "2s"))
            try K.post(herald, value: 35, subject: "p-esc")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-esc", transition: "firing"))
            #expect(Set(K.recipientIDs(firing)).isSuperset(of: ["u-adam", "u-olivia"]))
            let escalated = try #require(K.waitForWebhook(receiver, subject: "p-esc", transition: "escalated"))
            #expect(escalated["reason"] as? String == "timeout")
            #expect(escalated["escalationStep"] as? Int == 1)
            #expect(K.recipientIDs(escalated) == ["u-olivia"], "the chain's step names the owner")
            #expect(K.episodeID(escalated) == K.episodeID(firing))
            // Not before its time: two seconds after the episode started.
            let started = try #require(K.date(firing["occurredAt"]))
            let fired = try #require(K.date(escalated["occurredAt"]))
            #expect(fired.timeIntervalSince(started) >= 2)
            #expect(fired.timeIntervalSince(started) < 2 + K.patience)
            // Once: the chain has one step and no repeat.
            Thread.sleep(forTimeInterval: 2.5)
            #expect(K.webhooks(receiver, subject: "p-esc", transition: "escalated").count == 1)
            let audit = try K.audit(herald, subject: "p-esc")
            #expect(audit.filter { $0["transition"] as? String == "escalated" }.count == 1)
            #expect(herald.stop() == 0)
        }

        @Test func aCrashBetweenSchedulingAndFiringFiresTheStepOnceAfterTheRestart() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "3s"))
            try K.post(herald, value: 35, subject: "p-crash")
            #expect(K.waitForWebhook(receiver, subject: "p-crash", transition: "firing") != nil)
            herald.crash()
            // The step falls due while Herald is down.
            Thread.sleep(forTimeInterval: 3.5)
            #expect(K.webhooks(receiver, subject: "p-crash", transition: "escalated").isEmpty)
            try herald.start()
            let escalated = try #require(K.waitForWebhook(receiver, subject: "p-crash", transition: "escalated"))
            #expect(K.recipientIDs(escalated) == ["u-olivia"])
            // The step's state row moved on with its notice: neither a wait nor another
            // crash and restart fires it again.
            Thread.sleep(forTimeInterval: 1.5)
            herald.crash()
            try herald.start()
            Thread.sleep(forTimeInterval: 2)
            #expect(K.webhooks(receiver, subject: "p-crash", transition: "escalated").count == 1)
            let audit = try K.audit(herald, subject: "p-crash")
            #expect(audit.filter { $0["transition"] as? String == "escalated" }.count == 1)
            #expect(herald.stop() == 0)
        }

        /// The step due 4 s after firing fires at that time after a restart — not at once
        /// (a restart that fired pending steps immediately passed the old version of this
        /// test, #17 item 16), and exactly once.
        @Test func aRestartBeforeTheStepIsDueKeepsTheTimer() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "4s"))
            let posted = Date()
            try K.post(herald, value: 35, subject: "p-restart")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-restart", transition: "firing"))
            let firedAt = try #require(Self.timestamp(firing["occurredAt"]))
            #expect(herald.stop() == 0)
            try herald.start()
            let restartedAfter = Date().timeIntervalSince(posted)
            try #require(restartedAfter < 3, "the restart took \(restartedAfter) s: too slow for this test to tell 'at once' from 'on time'")
            let escalated = try #require(K.waitForWebhook(receiver, subject: "p-restart", transition: "escalated"))
            let arrivedAfter = Date().timeIntervalSince(posted)
            // The timer fired when due, 4 s after firing (plus the daemon's timer slack).
            let firedAfter = try #require(Self.timestamp(escalated["occurredAt"])).timeIntervalSince(firedAt)
            #expect(firedAfter >= 3.99 && firedAfter < 6, "the step fired \(firedAfter) s after firing; due after 4 s")
            // And it was sent then, not when the daemon came back.
            #expect(arrivedAfter >= 3.9, "the step arrived \(arrivedAfter) s after the event, before it was due")
            Thread.sleep(forTimeInterval: 1)
            #expect(K.webhooks(receiver, subject: "p-restart", transition: "escalated").count == 1)
            #expect(herald.stop() == 0)
        }

        static func timestamp(_ value: Any?) -> Date? {
            (value as? String).flatMap { try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
        }
    }
}
