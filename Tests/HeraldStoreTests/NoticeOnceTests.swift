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
}
