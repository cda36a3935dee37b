import Foundation
import Testing
@testable import HeraldStore

/// Retention removes history past its cutoffs in bounded steps, oldest first, and keeps
/// every notice a waiting delivery or dead letter still sends (issue #22).
struct RetentionTests {
    static let cutoffs = RetentionCutoffs(auditBefore: at(100), deliveriesBefore: at(50))

    /// Every step until none says there is more; the removed rows summed.
    static func pruneAll(_ store: any StateStore, _ cutoffs: RetentionCutoffs = cutoffs, limit: Int = 2) throws -> Int {
        var removed = 0
        for _ in 0..<1_000 {
            let step = try store.pruneHistory(cutoffs, limit: limit)
            removed += step.removed
            if !step.more { break }
        }
        return removed
    }

    @Test(arguments: StoreUnderTest.allCases) func auditOlderThanItsCutoffGoesInSmallSteps(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: (0..<7).map { audit("old\($0)", at: at(Double($0))) } + [audit("new", at: at(100))]))
            let first = try store.pruneHistory(Self.cutoffs, limit: 2)
            #expect(first == PruneStep(removed: 2, more: true))
            #expect(try Self.pruneAll(store) == 5)
            #expect(try store.auditPage(limit: 50).items.map(\.record.notificationID) == ["new"])
            #expect(try store.pruneHistory(Self.cutoffs, limit: 2) == PruneStep(removed: 0, more: false))
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func noticesStillToBeSentAreKept(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            // n0 has a waiting delivery, n1 a dead letter, n2…n5 nothing: a window of two
            // rows full of kept notices must not stop the pruning of the rest.
            try store.commit(CommitBatch(audit: (0..<6).map { audit("n\($0)", at: at(Double($0))) },
                                         outbox: [delivery("d0", notification: "n0"), delivery("d1", notification: "n1")]))
            #expect(try store.moveToDeadLetter(deliveryID: "d1", status: 500, error: "down", responseExcerpt: nil, at: at(90)))
            #expect(try Self.pruneAll(store) == 4)
            #expect(try store.auditPage(limit: 50).items.map(\.record.notificationID) == ["n1", "n0"])
            // Once the delivery is done and its history old, the notice goes too.
            #expect(try store.markDelivered(deliveryID: "d0", at: at(10)))
            #expect(try Self.pruneAll(store, RetentionCutoffs(auditBefore: at(100), deliveriesBefore: at(95))) >= 3)
            #expect(try store.auditPage(limit: 50).items.isEmpty)
            #expect(try store.deadLetters(limit: 50).items.isEmpty)
            #expect(try store.deliveryOutcomes(notificationID: "n0").isEmpty)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deliveryHistoryHasItsOwnCutoff(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(audit: [audit("n1", at: at(200))],
                                         outbox: [delivery("d1", notification: "n1"), delivery("d2", notification: "n1")]))
            #expect(try store.markDelivered(deliveryID: "d1", at: at(40)))
            #expect(try store.moveToDeadLetter(deliveryID: "d2", status: nil, error: "x", responseExcerpt: nil, at: at(60)))
            _ = try Self.pruneAll(store)
            // The outcome at 40 s is past the 50 s cutoff; the dead letter (60 s) and its
            // outcome stay, as does the notice (200 s).
            #expect(try store.deliveryOutcomes(notificationID: "n1").map(\.deliveryID) == ["d2"])
            #expect(try store.deadLetters(limit: 10).items.map(\.record.deliveryID) == ["d2"])
            #expect(try store.auditPage(limit: 10).items.count == 1)
        }
    }

    @Test func freedPagesGoBackToTheFileSystem() throws {
        try withStore { store, directory in
            let payload = String(repeating: "x", count: 3_000)
            for chunk in 0..<10 {
                try store.commit(CommitBatch(audit: (0..<100).map {
                    AuditRecord(notificationID: "n\(chunk)-\($0)", ruleID: "r", subjectID: "s", transition: "firing", tier: nil,
                                createdAt: at(1), payload: Data(payload.utf8))
                }))
            }
            let before = try store.statistics()
            #expect(before.rows["audit"] == 1_000)
            #expect(before.oldest["audit"] == at(1))
            _ = try Self.pruneAll(store, limit: 500)
            var released = 0
            while case let pages = try store.releaseFreeSpace(maxPages: 100), pages > 0 { released += pages }
            let after = try store.statistics()
            // 700 pages of 4 KiB, counted in the file's own pages (8 KiB since schema 7's files).
            let pageBytes = try store.perform("test") { (connection) throws(StoreError) in
                try connection.firstRow("PRAGMA page_size", operation: "test") { $0.int(0) }
            } ?? 4_096
            #expect(released * pageBytes >= 700 * 4_096, "released \(released) pages of \(pageBytes) bytes")
            #expect(after.rows["audit"] == 0 && after.oldest["audit"] == nil)
            #expect(after.freeBytes < 16 * 4096)
            let path = directory.appendingPathComponent(SQLiteStore.fileName).path
            store.waitForCheckpoints()
            _ = try store.perform("test") { (connection) throws(StoreError) in try connection.checkpointWAL(operation: "test") }
            let fileBytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(fileBytes < 200 * 4096, "file still \(fileBytes) bytes")
        }
    }
}
