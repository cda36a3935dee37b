import Foundation
import Testing
@testable import HeraldStore

/// The checked part of the commit contract (issue #20), for both stores: every rule-state
/// write is based on a revision, every event id is a claim, and a commit built on
/// anything stale is refused whole with `conflict`. Also the reads a process uses to
/// catch up after a conflict or to find due timers.
@Suite struct RevisionTests {
    @Test(arguments: StoreUnderTest.allCases) func revisionsCountEveryWriteOfARow(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s")]))
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":2}"#, revision: 1)]))
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":3}"#, revision: 2)]))
            #expect(try store.loadRuleStates() == [ruleState("r", "s", #"{"n":3}"#, revision: 3)])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func aStaleWriteIsRefusedAndNothingOfTheCommitIsKept(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s"), ruleState("r", "t")]))
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"by":"other"}"#, revision: 1)]))
            // Based on revision 1 of (r, s), which another writer moved to 2.
            let stale = CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"by":"me"}"#, revision: 1),
                                                       ruleState("r", "t", #"{"by":"me"}"#, revision: 1)],
                                    seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(1))],
                                    audit: [audit("n1")], outbox: [delivery("d1")])
            let fresh = CommitBatch(audit: [audit("n2")])
            let refused = #expect(throws: StoreError.self) { try store.commit([fresh, stale]) }
            #expect(refused?.code == .conflict)
            #expect(refused?.message.contains("(r, s) changed since it was read") == true)
            #expect(try store.loadRuleStates() == [ruleState("r", "s", #"{"by":"other"}"#, revision: 2),
                                                   ruleState("r", "t", revision: 1)])
            #expect(try store.loadSeenEvents(since: at(0)).isEmpty)
            #expect(try store.auditPage(limit: 10).items.isEmpty)
            #expect(try store.outboxDepth() == 0)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func aNewRowWhereOneExistsIsAConflict(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s")]))
            // A writer that never saw the row bases its write on "no row".
            #expect(storeErrorCode { try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"x":1}"#)])) } == .conflict)
            #expect(try store.loadRuleStates() == [ruleState("r", "s", revision: 1)])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func aStaleDeleteIsRefusedAndAFreshOneRemoves(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s")]))
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", revision: 1)]))
            let stale = CommitBatch(ruleStateDeletes: [RuleStateDeletion(ruleID: "r", subjectID: "s", revision: 1)])
            #expect(storeErrorCode { try store.commit(stale) } == .conflict)
            #expect(try store.loadRuleStates().count == 1)
            try store.commit(CommitBatch(ruleStateDeletes: [RuleStateDeletion(ruleID: "r", subjectID: "s", revision: 2)]))
            #expect(try store.loadRuleStates().isEmpty)
            // A row deleted and created again starts a new sequence.
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s")]))
            #expect(try store.loadRuleStates() == [ruleState("r", "s", revision: 1)])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func aWriteBasedOnARowAnotherDeletedIsAConflict(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s"), ruleState("r", "t")]))
            try store.commit(CommitBatch(ruleStateDeletes: [RuleStateDeletion(ruleID: "r", subjectID: "s", revision: 1),
                                                            RuleStateDeletion(ruleID: "r", subjectID: "t", revision: 1)]))
            // Memory still holding revision 1 must not bring the rows back: one write alone,
            // and one in a group of single steps (PostgreSQL writes those as one statement).
            #expect(storeErrorCode { try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "s", revision: 1)])) } == .conflict)
            #expect(storeErrorCode {
                try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "a"), ruleState("r", "t", revision: 1), ruleState("r", "z")]))
            } == .conflict)
            #expect(try store.loadRuleStates().isEmpty)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func batchesOfOneGroupMustChain(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            // Each based on the one before: one row written, at the last revision.
            try store.commit([CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":1}"#)]),
                              CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":2}"#, revision: 1)]),
                              CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":3}"#, revision: 2)])])
            #expect(try store.loadRuleStates() == [ruleState("r", "s", #"{"n":3}"#, revision: 3)])
            // Two writes based on the same revision in one group: the second is stale.
            let broken = [CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":4}"#, revision: 3)]),
                          CommitBatch(ruleStateUpserts: [ruleState("r", "s", #"{"n":5}"#, revision: 3)])]
            #expect(storeErrorCode { try store.commit(broken) } == .conflict)
            #expect(try store.loadRuleStates() == [ruleState("r", "s", #"{"n":3}"#, revision: 3)])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func anEventIdIsClaimedOnce(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(1))]))
            let again = CommitBatch(ruleStateUpserts: [ruleState("r", "s")],
                                    seenEvents: [SeenEventRecord(eventID: "e1", seenAt: at(2))])
            let refused = #expect(throws: StoreError.self) { try store.commit(again) }
            #expect(refused?.code == .conflict)
            #expect(refused?.message == "event id e1 was already accepted")
            #expect(try store.loadRuleStates().isEmpty)
            // Twice in one group is refused before anything is written.
            let twice = [CommitBatch(seenEvents: [SeenEventRecord(eventID: "e2", seenAt: at(3))]),
                         CommitBatch(seenEvents: [SeenEventRecord(eventID: "e2", seenAt: at(3))])]
            #expect(storeErrorCode { try store.commit(twice) } == .conflict)
            #expect(try store.seenEvents(["e1", "e2", "e3"]) == [SeenEventRecord(eventID: "e1", seenAt: at(1))])
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func rowsAreReadByKeyAndDueTimersByTime(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            try store.commit(CommitBatch(ruleStateUpserts: [
                ruleState("r", "late", dueAt: at(30)), ruleState("r", "early", dueAt: at(10)),
                ruleState("r", "none"), ruleState("q", "mid", dueAt: at(20)),
            ]))
            #expect(try store.ruleStates([RuleStateRowKey(ruleID: "r", subjectID: "none"), RuleStateRowKey(ruleID: "q", subjectID: "mid"),
                                          RuleStateRowKey(ruleID: "r", subjectID: "absent")])
                        == [ruleState("q", "mid", revision: 1, dueAt: at(20)), ruleState("r", "none", revision: 1)])
            #expect(try store.ruleStates([]).isEmpty)
            #expect(try store.dueRuleStates(before: at(20), limit: 10).map(\.subjectID) == ["early", "mid"])
            #expect(try store.dueRuleStates(before: at(60), limit: 1).map(\.subjectID) == ["early"])
            // A write that clears the timer takes the row out of the due ones.
            try store.commit(CommitBatch(ruleStateUpserts: [ruleState("r", "early", revision: 1)]))
            #expect(try store.dueRuleStates(before: at(60), limit: 10).map(\.subjectID) == ["mid", "late"])
        }
    }

    @Test func onlyASharedStoreSaysSo() throws {
        try StoreUnderTest.sqlite.withStore { store in #expect(!store.isShared) }
    }
}
