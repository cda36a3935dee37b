import Foundation
import HeraldSupport
import Testing
@testable import HeraldStore

/// The outbox and dead-letter part of the `StateStore` contract, run against every `StoreUnderTest`.
@Suite struct OutboxTests {
    @Test(arguments: StoreUnderTest.allCases) func dueDeliveriesAreOrderedByNextAttemptAndFiltered(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [
                delivery("late", due: at(30)), delivery("early", due: at(10)),
                delivery("other-target", target: "pager", due: at(5)), delivery("future", due: at(100)),
            ]))
            #expect(try store.dueDeliveries(now: at(30), limit: 10).map(\.deliveryID)
                    == ["other-target", "early", "late"])
            #expect(try store.dueDeliveries(now: at(30), limit: 10, excludingTargets: ["pager"]).map(\.deliveryID)
                    == ["early", "late"])
            #expect(try store.dueDeliveries(now: at(30), limit: 1).map(\.deliveryID) == ["other-target"])
            #expect(try store.dueDeliveries(now: at(0), limit: 10).isEmpty)
            // Pending includes what is not due yet: the startup resume list.
            #expect(try store.pendingDeliveries(limit: 10).map(\.deliveryID)
                    == ["other-target", "early", "late", "future"])
            #expect(try store.outboxDepth() == 4)
        }
    }

    /// The rows a sender holds in memory keep their claim: both stores confirm every row
    /// this process holds (SQLite: nobody else can take one); a row that left the outbox
    /// is not confirmed by a shared store, and never matters to SQLite's.
    @Test(arguments: StoreUnderTest.allCases) func renewingClaimsConfirmsTheRowsThisProcessHolds(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [delivery("d1", due: at(0)), delivery("d2", due: at(0))]))
            #expect(try store.dueDeliveries(now: at(10), limit: 10).count == 2)
            #expect(try store.renewClaims(["d1", "d2"]) == ["d1", "d2"])
            #expect(try store.renewClaims([]).isEmpty)
            #expect(try store.markDelivered(deliveryID: "d2", at: at(11)))
            #expect(try store.renewClaims(["d1"]) == ["d1"])
            #expect(try store.outboxDepth() == 1)   // renewing changes no row's content
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func recordedAttemptMovesTheDueTime(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [delivery("d1", due: at(0)), delivery("d2", due: at(1))]))
            #expect(try store.recordAttempt(deliveryID: "d1", attempts: 1, nextAttemptAt: at(60),
                                            lastStatus: 503, lastError: "service unavailable"))
            #expect(try store.dueDeliveries(now: at(10), limit: 10).map(\.deliveryID) == ["d2"])
            let retried = try #require(try store.dueDeliveries(now: at(60), limit: 10).last)
            #expect(retried.deliveryID == "d1")
            #expect(retried.attempts == 1)
            #expect(retried.lastStatus == 503)
            #expect(retried.lastError == "service unavailable")
            #expect(try !store.recordAttempt(deliveryID: "unknown", attempts: 1, nextAttemptAt: at(1),
                                             lastStatus: nil, lastError: nil))
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deliveredLeavesTheOutboxAndIsRemembered(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [delivery("d1", notification: "n1")]))
            try store.recordAttempt(deliveryID: "d1", attempts: 1, nextAttemptAt: at(1), lastStatus: 500, lastError: "boom")
            #expect(try store.markDelivered(deliveryID: "d1", status: 200, at: at(2)))
            #expect(try store.outboxDepth() == 0)
            #expect(try store.deliveryOutcomes(notificationID: "n1") == [
                DeliveryOutcomeRecord(deliveryID: "d1", notificationID: "n1", target: "ops", outcome: .delivered,
                                      attempts: 2, status: 200, error: nil, at: at(2)),
            ])
            #expect(try !store.markDelivered(deliveryID: "d1", at: at(3)))   // already gone
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deadLetterKeepsABoundedExcerptAndCanBeRequeued(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [delivery("d1", notification: "n1"), delivery("d2")]))
            try store.recordAttempt(deliveryID: "d1", attempts: 4, nextAttemptAt: at(1), lastStatus: 500, lastError: "x")
            let response = Data(repeating: 0x7A, count: SharedLimits.responseExcerptBytes + 100)
            #expect(try store.moveToDeadLetter(deliveryID: "d1", status: 410, error: "gone",
                                               responseExcerpt: response, at: at(50)))
            #expect(try store.outboxDepth() == 1)

            let page = try store.deadLetters(limit: 10)
            let dead = try #require(page.items.first?.record)
            #expect(page.items.count == 1 && page.next == nil)
            #expect(dead.deliveryID == "d1" && dead.notificationID == "n1" && dead.target == "ops")
            #expect(dead.body == Data("body-d1".utf8))
            #expect(dead.attempts == 5 && dead.lastStatus == 410 && dead.lastError == "gone")
            #expect(dead.responseExcerpt == response.prefix(SharedLimits.responseExcerptBytes))
            #expect(dead.deadAt == at(50))

            #expect(try store.requeueDeadLetter(deliveryID: "d1", now: at(60)))
            #expect(try store.deadLetters(limit: 10).items.isEmpty)
            let requeued = try #require(try store.dueDeliveries(now: at(60), limit: 10).first { $0.deliveryID == "d1" })
            #expect(requeued.attempts == 0 && requeued.nextAttemptAt == at(60))
            #expect(requeued.body == Data("body-d1".utf8))
            #expect(try store.deliveryOutcomes(notificationID: "n1").map(\.outcome) == [.deadLettered, .requeued])
            #expect(try !store.requeueDeadLetter(deliveryID: "d1", now: at(61)))   // no longer dead
            #expect(try !store.moveToDeadLetter(deliveryID: "nope", status: nil, error: "e",
                                                responseExcerpt: nil, at: at(1)))
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deadLettersPageNewestFirst(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: (1...3).map { delivery("d\($0)") }))
            for id in ["d1", "d2", "d3"] {
                try store.moveToDeadLetter(deliveryID: id, status: nil, error: "timeout", responseExcerpt: nil, at: at(1))
            }
            let first = try store.deadLetters(limit: 2)
            #expect(first.items.map(\.record.deliveryID) == ["d3", "d2"])
            let second = try store.deadLetters(limit: 2, after: first.next)
            #expect(second.items.map(\.record.deliveryID) == ["d1"])
            #expect(second.next == nil)
            #expect(second.items.first?.record.responseExcerpt == nil)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func fetchLimitIsClamped(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let count = StoreLimits.maxDeliveriesPerFetch + 5
            try store.commit(CommitBatch(outbox: (0..<count).map { delivery("d\($0)") }))
            #expect(try store.pendingDeliveries(limit: .max).count == StoreLimits.maxDeliveriesPerFetch)
            #expect(try store.dueDeliveries(now: at(0), limit: .max).count == StoreLimits.maxDeliveriesPerFetch)
            #expect(try store.outboxDepth() == count)
        }
    }
}

/// Destination keys (`target@user:id`) are excluded by their target id.
@Test(arguments: StoreUnderTest.allCases)
func dueDeliveriesExcludeByTargetIDOfDestinationKeys(_ kind: StoreUnderTest) throws {
    try kind.withStore { store in
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let rows = ["chat@user:u-1", "chat@group:g", "chat", "sms", "sms@user:u-2"].enumerated().map { index, target in
            OutboxRecord(deliveryID: "d\(index)", notificationID: "n", target: target, body: Data("{}".utf8), createdAt: now, nextAttemptAt: now)
        }
        try store.commit(CommitBatch(outbox: rows))
        let due = try store.dueDeliveries(now: now, limit: 10, excludingTargets: ["chat"])
        #expect(due.map(\.target) == ["sms", "sms@user:u-2"])
    }
}
