import Foundation
import Testing
@testable import HeraldStore

/// The commit part of the `StateStore` contract (tests taking a `StoreUnderTest`), and
/// what only the SQLite store shows: an injected failure, its transaction count, reopening a file.
@Suite struct CommitTests {
    @Test(arguments: StoreUnderTest.allCases) func ruleStatesRoundTripThroughUpsertAndDelete(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r1", "s1"), ruleState("r1", "s2"),
                                                            ruleState("r2", "s1")]))
            // Upsert replaces by key (based on the stored revision, storing the next);
            // delete removes; a later batch in the same commit wins.
            try store.commit([
                CommitBatch(ruleStateUpserts: [ruleState("r1", "s1", #"{"tier":"critical"}"#, revision: 1)]),
                CommitBatch(ruleStateDeletes: [RuleStateDeletion(ruleID: "r1", subjectID: "s2", revision: 1)]),
            ])
            #expect(try store.loadRuleStates() == [ruleState("r1", "s1", #"{"tier":"critical"}"#, revision: 2),
                                                   ruleState("r2", "s1", revision: 1)])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deleteInTheSameBatchAsUpsertWins(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            // The delete is based on the revision the upsert makes.
            let key = RuleStateDeletion(ruleID: "r1", subjectID: "s1", revision: 1)
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r1", "s1")], ruleStateDeletes: [key]))
            #expect(try store.loadRuleStates().isEmpty)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func seenEventsLoadSinceAndPruneBefore(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(seenEvents: [
                SeenEventRecord(eventID: "e1", seenAt: at(10)),
                SeenEventRecord(eventID: "e2", seenAt: at(20)),
                SeenEventRecord(eventID: "e3", seenAt: at(30)),
            ]))
            // A replayed id is refused and keeps its first time.
            #expect(storeErrorCode { try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(40))])) }
                        == .conflict)
            #expect(try store.loadSeenEvents(since: at(0)).map(\.eventID) == ["e1", "e2", "e3"])
            #expect(try store.loadSeenEvents(since: at(20)) == [SeenEventRecord(eventID: "e2", seenAt: at(20)),
                                                                SeenEventRecord(eventID: "e3", seenAt: at(30))])
            #expect(try store.pruneSeenEvents(before: at(30)) == 2)
            #expect(try store.loadSeenEvents(since: at(0)).map(\.eventID) == ["e3"])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func constraintViolationLeavesNothingFromAnyBatch(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(outbox: [delivery("d1")]))
            let good = CommitBatch(ruleStateUpserts: [ruleState("r1", "s1")],
                                   seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(0))],
                                   audit: [audit("n1")], outbox: [delivery("d2")])
            let duplicate = CommitBatch(outbox: [delivery("d1")])   // deliveryID already in the outbox
            #expect(storeErrorCode { try store.commit([good, duplicate]) } == .constraint)
            try expectOnlyFirstDelivery(store)
        }
    }

    @Test func failureAfterWritingRollsEverythingBack() throws {
        try withStore { store, _ in
            try store.commit(CommitBatch(outbox: [delivery("d1")]))
            store.failNextCommitForTesting(with: StoreError(code: .io, operation: "test", message: "injected"))
            let batch = CommitBatch(ruleStateUpserts: [ruleState("r1", "s1")],
                                    seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(0))],
                                    audit: [audit("n1")], outbox: [delivery("d2")])
            #expect(storeErrorCode { try store.commit([batch]) } == .io)
            try expectOnlyFirstDelivery(store)
            // The store keeps working and the same batch now commits.
            try store.commit([batch])
            #expect(try store.outboxDepth() == 2)
            #expect(try store.loadRuleStates().count == 1)
        }
    }

    @Test func commitCountsOnlySuccessfulTransactions() throws {
        try withStore { store, _ in
            try store.commit([CommitBatch(audit: [audit("n1")]), CommitBatch(audit: [audit("n2")])])
            _ = storeErrorCode { try store.commit([CommitBatch(outbox: [delivery("d"), delivery("d")])]) }
            #expect(store.commitTransactionCount == 1)
        }
    }

    @Test func dataSurvivesCloseAndReopen() throws {
        try withTemporaryDirectory { directory in
            do {
                let store = try SQLiteStore(directory: directory)
                try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r1", "s1")],
                                             seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(5))],
                                             audit: [audit("n1")], outbox: [delivery("d1")]))
            }
            let reopened = try SQLiteStore(directory: directory)
            #expect(try reopened.loadRuleStates() == [ruleState("r1", "s1", revision: 1)])
            #expect(try reopened.loadSeenEvents(since: at(0)) == [SeenEventRecord(eventID: "e1", seenAt: at(5))])
            #expect(try reopened.auditPage(limit: 10).items.map(\.record) == [audit("n1")])
            #expect(try reopened.pendingDeliveries(limit: 10) == [delivery("d1")])
        }
    }

    /// After a failed commit only the earlier `d1` delivery exists; nothing else was written.
    private func expectOnlyFirstDelivery(_ store: any StateStore) throws {
        #expect(try store.outboxDepth() == 1)
        #expect(try store.pendingDeliveries(limit: 10).map(\.deliveryID) == ["d1"])
        #expect(try store.loadRuleStates().isEmpty)
        #expect(try store.loadSeenEvents(since: at(-1000)).isEmpty)
        #expect(try store.auditPage(limit: 10).items.isEmpty)
    }
}
