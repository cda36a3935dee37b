import Foundation
import Testing
@testable import HeraldStore

/// The audit part of the `StateStore` contract, run against every `StoreUnderTest`.
@Suite struct AuditTests {
    @Test(arguments: StoreUnderTest.allCases) func insertingAnExistingNotificationIsIgnored(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: [audit("n1")]))
            var replay = audit("n1")
            replay.transition = "escalated"
            try store.commit(CommitBatch(audit: [replay, audit("n2")]))
            let records = try store.auditPage(limit: 10).items.map(\.record)
            #expect(records == [audit("n2"), audit("n1")])   // newest first; n1 unchanged
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func pagesNewestFirstWithCursor(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: (1...5).map { audit("n\($0)", at: at(Double($0))) }))
            let first = try store.auditPage(limit: 2)
            #expect(first.items.map(\.record.notificationID) == ["n5", "n4"])
            let second = try store.auditPage(limit: 2, after: first.next)
            #expect(second.items.map(\.record.notificationID) == ["n3", "n2"])
            // Entries added meanwhile do not shift the following page.
            try store.commit(CommitBatch(audit: [audit("n6")]))
            let third = try store.auditPage(limit: 2, after: second.next)
            #expect(third.items.map(\.record.notificationID) == ["n1"])
            #expect(third.next == nil)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func exactlyFullLastPageHasNoNextCursor(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: [audit("n1"), audit("n2")]))
            #expect(try store.auditPage(limit: 2).next == nil)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func filtersBySubjectRuleAndTime(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: [
                audit("a", rule: "cpu", subject: "host-1", at: at(10)),
                audit("b", rule: "cpu", subject: "host-2", at: at(20)),
                audit("c", rule: "disk", subject: "host-1", at: at(30)),
                audit("d", rule: "cpu", subject: "host-1", at: at(40)),
            ]))
            func ids(_ page: StorePage<AuditEntry>) -> [String] { page.items.map(\.record.notificationID) }
            #expect(ids(try store.auditPage(subject: "host-1", limit: 10)) == ["d", "c", "a"])
            #expect(ids(try store.auditPage(rule: "cpu", limit: 10)) == ["d", "b", "a"])
            #expect(ids(try store.auditPage(subject: "host-1", rule: "cpu", limit: 10)) == ["d", "a"])
            #expect(ids(try store.auditPage(since: at(20), limit: 10)) == ["d", "c", "b"])
            // Filters and cursor together.
            let first = try store.auditPage(subject: "host-1", rule: "cpu", limit: 1)
            #expect(ids(first) == ["d"])
            #expect(ids(try store.auditPage(subject: "host-1", rule: "cpu", limit: 1, after: first.next)) == ["a"])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func limitIsClampedToTheNamedMaximum(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let count = StoreLimits.maxPageSize + 10
            try store.commit(CommitBatch(audit: (0..<count).map { audit("n\($0)") }))
            let page = try store.auditPage(limit: 1_000_000)
            #expect(page.items.count == StoreLimits.maxPageSize)
            #expect(page.next != nil)
            #expect(try store.auditPage(limit: 0).items.count == 1)   // at least one row
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func optionalFieldsRoundTrip(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            var record = audit("n1")
            record.tier = nil
            record.suppressed = "silence-7"
            record.payload = Data()
            try store.commit(CommitBatch(audit: [record]))
            #expect(try store.auditPage(limit: 1).items.first?.record == record)
        }
    }

    /// "Was it delivered?": one notification's audit entry, its deliveries still
    /// waiting, and the outcomes of those that left the outbox.
    @Test(arguments: StoreUnderTest.allCases) func oneNotificationsRecordAndDeliveries(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: [audit("n1"), audit("n2")],
                                         outbox: [delivery("d1", target: "a"), delivery("d2", target: "b"), delivery("d3", notification: "n2")]))
            #expect(try store.auditEntry(notificationID: "n1")?.record == audit("n1"))
            #expect(try store.auditEntry(notificationID: "n9") == nil)
            try store.recordAttempt(deliveryID: "d2", attempts: 1, nextAttemptAt: at(60), lastStatus: 503, lastError: "HTTP 503")
            #expect(try store.markDelivered(deliveryID: "d1", status: 204, at: at(5)))
            let waiting = try store.pendingDeliveries(notificationID: "n1")
            #expect(waiting.map(\.deliveryID) == ["d2"])
            #expect(waiting.first?.attempts == 1 && waiting.first?.lastStatus == 503)
            #expect(try store.deliveryOutcomes(notificationID: "n1").map(\.outcome) == [.delivered])
            #expect(try store.moveToDeadLetter(deliveryID: "d2", status: 400, error: "HTTP 400", responseExcerpt: nil, at: at(70)))
            #expect(try store.pendingDeliveries(notificationID: "n1").isEmpty)
            let outcomes = try store.deliveryOutcomes(notificationID: "n1")
            #expect(outcomes.map(\.outcome) == [.delivered, .deadLettered])
            #expect(outcomes.last?.attempts == 2 && outcomes.last?.status == 400 && outcomes.last?.error == "HTTP 400")
        }
    }
}
