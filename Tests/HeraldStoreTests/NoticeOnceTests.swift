import Foundation
import Testing
@testable import HeraldStore

/// Outbox and dead-letter rows without a body of their own are read together with the
/// notice they send (the audit payload), so the store keeps each notice once (issue #22).
struct NoticeOnceTests {
    static func bodiless(_ id: String, notification: String, recipients: [String]? = nil) -> OutboxRecord {
        OutboxRecord(deliveryID: id, notificationID: notification, target: "ops", recipients: recipients,
                     createdAt: at(5), nextAttemptAt: at(5))
    }

    @Test(arguments: StoreUnderTest.allCases) func rowsWithoutABodyComeBackWithTheirNotice(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let notice = audit("n1", at: at(3))
            try store.commit(CommitBatch(audit: [notice], outbox: [Self.bodiless("d1", notification: "n1", recipients: ["u-2", "u-1"]),
                                                                   delivery("d2", notification: "n1")]))
            let due = try store.dueDeliveries(now: at(10), limit: 10)
            #expect(due.map(\.deliveryID) == ["d2", "d1"])
            let stored = try #require(due.first { $0.deliveryID == "d1" })
            #expect(stored.body == nil)
            #expect(stored.recipients == ["u-2", "u-1"])
            #expect(stored.notice == StoredNotice(payload: notice.payload, createdAt: at(3)))
            // A row with its own body is sent as it is: no notice read for it.
            #expect(due.first { $0.deliveryID == "d2" }?.notice == nil)
            #expect(try store.pendingDeliveries(limit: 10).first { $0.deliveryID == "d1" }?.notice?.payload == notice.payload)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deadLettersKeepRecipientsAndReadTheirNotice(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let notice = audit("n1", at: at(3))
            try store.commit(CommitBatch(audit: [notice], outbox: [Self.bodiless("d1", notification: "n1", recipients: ["u-1"])]))
            #expect(try store.moveToDeadLetter(deliveryID: "d1", status: 503, error: "down", responseExcerpt: nil, at: at(20)))
            let dead = try #require(try store.deadLetters(limit: 10).items.first?.record)
            #expect(dead.body == nil)
            #expect(dead.recipients == ["u-1"])
            #expect(dead.notice?.payload == notice.payload)
            #expect(try store.requeueDeadLetter(deliveryID: "d1", now: at(30)))
            let back = try #require(try store.pendingDeliveries(limit: 10).first)
            #expect(back.recipients == ["u-1"] && back.body == nil && back.notice?.payload == notice.payload)
        }
    }

    /// Rows of several notices, interleaved, each come back with their own notice (the
    /// store reads each notice once per fetch, not once per row); a row whose notice is
    /// no longer in the audit log comes back without one, for the engine to dead-letter.
    @Test(arguments: StoreUnderTest.allCases) func interleavedRowsEachGetTheirOwnNotice(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let (first, second) = (audit("n1", at: at(1)), audit("n2", at: at(2)))
            try store.commit(CommitBatch(audit: [first, second], outbox: [
                Self.bodiless("d1", notification: "n1"), Self.bodiless("d2", notification: "n2"),
                Self.bodiless("d3", notification: "n1", recipients: ["u-1"]), Self.bodiless("d4", notification: "gone"),
            ]))
            let expected: [String: StoredNotice?] = [
                "d1": StoredNotice(payload: first.payload, createdAt: at(1)), "d2": StoredNotice(payload: second.payload, createdAt: at(2)),
                "d3": StoredNotice(payload: first.payload, createdAt: at(1)), "d4": nil,
            ]
            for rows in [try store.dueDeliveries(now: at(10), limit: 10), try store.pendingDeliveries(limit: 10)] {
                #expect(rows.count == 4)
                for row in rows { #expect(row.notice == expected[row.deliveryID]!, "\(row.deliveryID)") }
            }
            for id in ["d1", "d2", "d4"] {
                #expect(try store.moveToDeadLetter(deliveryID: id, status: nil, error: "x", responseExcerpt: nil, at: at(20)))
            }
            let dead = try store.deadLetters(limit: 10).items.map(\.record)
            #expect(dead.count == 3)
            for record in dead { #expect(record.notice == expected[record.deliveryID]!, "\(record.deliveryID)") }
        }
    }
}
