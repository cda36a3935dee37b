import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// Quiet hours in the real daemon: Maya's notice waits in the outbox until her
    /// window ends (its row due exactly then, and created then, so `maxAge` counts from
    /// the end), then is delivered; a critical tier is not held.
    @Suite struct QuietHours {
        typealias K = EscalationKit

        /// Fewest seconds the window must still have to run when the daemon starts, so
        /// the hold is observable before it ends.
        static let minimumWindowLeft: TimeInterval = 12

        @Test func aNoticeIsHeldUntilTheWindowEndsThenDeliveredButCriticalGoesAtOnce() throws {
            // Quiet-hour windows are minute-granular: the window is the current UTC
            // minute, ending at the next minute boundary (at most ~70 s away).
            var now = Date()
            let intoMinute = now.timeIntervalSince1970.truncatingRemainder(dividingBy: 60)
            if 60 - intoMinute < Self.minimumWindowLeft {
                Thread.sleep(forTimeInterval: 60 - intoMinute + 0.2)
                now = Date()
            }
            let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
            let end = start.addingTimeInterval(60)
            let clock = { (date: Date) -> String in
                let formatter = DateFormatter()
                formatter.timeZone = TimeZone(identifier: "UTC")
                formatter.dateFormat = "HH:mm"
                return formatter.string(from: date)
            }
            let quiet: [String: Any] = ["timeZone": "UTC", "windows": [["start": clock(start), "end": clock(end)]]]
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "1h", quietHours: quiet))

            // 20% is not critical: Maya (sc-managers) is held, the others go now.
            try K.post(herald, value: 25, subject: "p-night")
            let batch = try #require(K.waitForWebhook(receiver, subject: "p-night", transition: "firing"))
            #expect(!K.recipientIDs(batch).contains("u-maya"))
            #expect(K.recipientIDs(batch).contains("u-rita"))
            let held = try K.outbox(herald).filter { $0.0 == "ops@user:u-maya" }
            #expect(held.count == 1)
            let endMillis = Int64(end.timeIntervalSince1970 * 1000)
            #expect(held.first?.1 == endMillis, "due when the window ends")
            #expect(held.first?.2 == endMillis, "maxAge counts from the end of the hold")

            // 30% is critical (and names Maya in this test): she is told at once, in the batch.
            try K.post(herald, value: 35, subject: "p-fire")
            let critical = try #require(K.waitForWebhook(receiver, subject: "p-fire", transition: "firing"))
            #expect(K.recipientIDs(critical).contains("u-maya"))
            #expect(try K.outbox(herald).filter { $0.0 == "ops@user:u-maya" }.count == 1, "only the 20% notice is held")

            // Then the window ends and the held message goes, not before.
            let mayaOnly = { K.webhooks(receiver, subject: "p-night", transition: "firing").filter { K.recipientIDs($0) == ["u-maya"] } }
            #expect(mayaOnly().isEmpty)
            let wait = end.timeIntervalSinceNow + K.patience
            #expect(Poll.until(timeout: wait) { !mayaOnly().isEmpty })
            let arrived = Date()
            #expect(arrived >= end)
            // Its message is for her alone (a held person's own delivery) and carries her ack link.
            let delivered = try #require(mayaOnly().first)
            #expect((delivered["ack"] as? [String: Any])?["token"] is String)
            #expect(herald.stop() == 0)
        }
    }
}
