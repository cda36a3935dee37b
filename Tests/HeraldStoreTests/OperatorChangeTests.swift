import Foundation
import Testing
@testable import HeraldStore

/// An operator's change and the audit record naming who made it are written together
/// (`StateStore.applyOperatorChange`): both, or neither.
@Suite struct OperatorChangeTests {
    func silence(_ id: String) -> SilenceRecord {
        SilenceRecord(id: id, body: Data(#"{"id":"\#(id)"}"#.utf8), startsAt: at(0), endsAt: at(3600), createdAt: at(0))
    }

    func record(_ id: String, _ action: String) -> AuditRecord {
        AuditRecord(notificationID: id, ruleID: "", subjectID: "", transition: action, tier: nil, createdAt: at(1),
                    payload: Data(#"{"actor":"operator:ops"}"#.utf8))
    }

    @Test(arguments: StoreUnderTest.allCases) func eachChangeLeavesItsRecordAndANoOpLeavesNone(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            #expect(try store.applyOperatorChange(.addSilence(silence("s1")), audit: record("a1", "silence")))
            #expect(try !store.applyOperatorChange(.addSilence(silence("s1")), audit: record("a2", "silence")))   // id taken
            var ended = silence("s1")
            ended.endsAt = at(10)
            #expect(try store.applyOperatorChange(.replaceSilence(ended), audit: record("a3", "expire")))
            #expect(try !store.applyOperatorChange(.replaceSilence(silence("none")), audit: record("a4", "expire")))
            #expect(try store.applyOperatorChange(.deleteSilence(id: "s1"), audit: record("a5", "delete")))
            #expect(try !store.applyOperatorChange(.deleteSilence(id: "s1"), audit: record("a6", "delete")))
            try store.commit(CommitBatch(audit: [audit("n1")], outbox: [delivery("d1")]))
            #expect(try store.moveToDeadLetter(deliveryID: "d1", status: 500, error: "down", responseExcerpt: nil, at: at(2)))
            #expect(try store.applyOperatorChange(.requeueDeadLetter(deliveryID: "d1", now: at(3)), audit: record("a7", "retry")))
            #expect(try !store.applyOperatorChange(.requeueDeadLetter(deliveryID: "d1", now: at(4)), audit: record("a8", "retry")))
            #expect(try store.outboxDepth() == 1 && store.deadLetters(limit: 10).items.isEmpty)
            #expect(try store.silences().isEmpty)
            let written = try store.auditPage(limit: 20).items.map(\.record.notificationID).sorted()
            #expect(written == ["a1", "a3", "a5", "a7", "n1"])
        }
    }

    /// The record cannot be written (a trigger refuses it, as a full disk would): the
    /// change is not kept either.
    @Test func withoutItsRecordTheChangeIsNotKept() throws {
        try withStore { store, _ in
            try store.executeForTesting("""
                CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
            #expect(throws: StoreError.self) { try store.applyOperatorChange(.addSilence(silence("s1")), audit: record("a1", "silence")) }
            #expect(try store.silences().isEmpty)
        }
    }
}
