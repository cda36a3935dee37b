import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// Rule-state rows written as runs of multi-row statements: statements follow the key
/// order (single-step rows grouped, chained rows and deletes alone), every row is
/// checked against its base, and the first stale row in key order is the one named.
struct CommitRuleStatesTests {
    static func state(_ subject: String, base: Int64, _ text: String = "{}") -> RuleStateRecord {
        RuleStateRecord(ruleID: "r", subjectID: subject, state: Data(text.utf8), revision: base)
    }

    /// Runs the rule-state part of a commit for `batches` on `store`; returns the
    /// statements queued (multi-row or not, with their subjects). A stale row raises on
    /// the server and the write rolls back, as the commit would.
    func write(_ batches: [CommitBatch], on store: PostgresStore) throws -> [String] {
        let writes = try RuleStateWrites(batches)
        return try store.write("test rule states") { (connection) throws(PostgresError) in
            var pipeline = PostgresPipeline()
            let queued = CommitRuleStates.queue(writes, on: &pipeline)
            _ = try connection.run(pipeline)
            return queued.map { ($0.multiRow ? "multi:" : "one:") + $0.rows.map(\.key.subjectID).joined(separator: ",") }
        }
    }

    func stored(_ store: PostgresStore) throws -> [String] {
        try store.loadRuleStates().map { "\($0.subjectID)@\($0.revision)=\(String(decoding: $0.state, as: UTF8.self))" }
    }

    @Test func runsFollowTheKeyOrderAndEveryRowLands() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        try store.commit(CommitBatch(ruleStateUpserts: ["b", "c", "d", "e", "f"].map { Self.state($0, base: 0) }))
        let first = CommitBatch(ruleStateUpserts: [Self.state("a", base: 0), Self.state("b", base: 1, "b2"), Self.state("c", base: 1, "c2"),
                                                   Self.state("d", base: 1, "d2"), Self.state("f", base: 1, "f2")],
                                ruleStateDeletes: [RuleStateDeletion(ruleID: "r", subjectID: "e", revision: 1)])
        // c is written again in the same group (chained: 1 -> 2 -> 3).
        let second = CommitBatch(ruleStateUpserts: [Self.state("c", base: 2, "c3")])
        let shape = try write([first, second], on: store)
        #expect(shape == ["multi:a,b", "one:c", "multi:d", "one:e", "multi:f"])
        #expect(try stored(store) == ["a@1={}", "b@2=b2", "c@3=c3", "d@2=d2", "f@2=f2"])
    }

    @Test func theFirstStaleRowInKeyOrderIsNamedAndNothingIsKept() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        try store.commit(CommitBatch(ruleStateUpserts: ["a", "b", "c", "d"].map { Self.state($0, base: 0) }))
        try store.commit(CommitBatch(ruleStateUpserts: [Self.state("c", base: 1, "other")]))   // c is at 2 now
        // Based on revision 1 of c (stale) in the middle of a run; d is fresh, and a new
        // row "0" where none exists is fine.
        let refused = #expect(throws: StoreError.self) {
            try write([CommitBatch(ruleStateUpserts: [Self.state("0", base: 0), Self.state("b", base: 1, "mine"),
                                                      Self.state("c", base: 1, "mine"), Self.state("d", base: 1, "mine")])], on: store)
        }
        #expect(refused?.code == .conflict)
        #expect(refused?.message.contains("rule state (r, c) changed since it was read: based on revision 1") == true)
        #expect(try stored(store) == ["a@1={}", "b@1={}", "c@2=other", "d@1={}"])
        // Through the store: the message names c, the first stale key.
        let commit = #expect(throws: StoreError.self) {
            try store.commit(CommitBatch(ruleStateUpserts: [Self.state("b", base: 1, "mine"), Self.state("c", base: 1, "mine"),
                                                            Self.state("e", base: 0)],
                                         ruleStateDeletes: [RuleStateDeletion(ruleID: "r", subjectID: "a", revision: 5)]))
        }
        #expect(commit?.code == .conflict)
        #expect(commit?.message.contains("rule state (r, a) changed since it was read: based on revision 5") == true)
        #expect(try stored(store) == ["a@1={}", "b@1={}", "c@2=other", "d@1={}"])
        // A new row where one exists is stale too (base 0 finds revision 1).
        let exists = #expect(throws: StoreError.self) { try store.commit(CommitBatch(ruleStateUpserts: [Self.state("d", base: 0)])) }
        #expect(exists?.message.contains("rule state (r, d) changed since it was read: based on no row") == true)
    }

    /// The multi-row upsert's existence check probes the primary key row by row, whatever
    /// the table's size when the plan was made. Left to itself PostgreSQL planned it, on a
    /// young table, as a hashed subplan: the whole table read into a hash on every commit,
    /// a plan the connection kept as the table grew (2 ms of a 2.5 ms group commit with
    /// 5,000 subjects; Benchmarks/limits.md).
    @Test func theUpsertProbesTheKeyInsteadOfReadingTheWholeTable() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        try store.commit(CommitBatch(ruleStateUpserts: (0..<20).map { Self.state("subject-\($0)", base: 0) }))
        let connection = try PostgresConnection(url: database.url)
        // The generic plan: the one a connection keeps after its first few commits.
        try connection.execute("SET plan_cache_mode = force_generic_plan", operation: "test")
        try connection.execute("PREPARE upsert(text[], text[], bytea[], bigint[], bigint[]) AS \(CommitRuleStates.upsertNextRevisions)",
                               operation: "test")
        let plan = try connection.rows("""
            EXPLAIN EXECUTE upsert(ARRAY['r', 'r'], ARRAY['subject-1', 'subject-2'], ARRAY['\\x00', '\\x00']::bytea[],
                                   ARRAY[2, 2]::bigint[], ARRAY[NULL, NULL]::bigint[])
            """, operation: "test") { $0.text(0) }.joined(separator: "\n")
        #expect(plan.contains("Index") && plan.contains("rule_state_pkey"), "\(plan)")
        #expect(!plan.contains("hashed SubPlan") && !plan.contains("Seq Scan on rule_state"), "\(plan)")
    }

    /// A refused commit never sends the rows of its decision: inserting them could wait on
    /// the unique keys of the transaction that made it stale (here: another session holds
    /// an uncommitted outbox row with the same delivery id). The conflict comes back at
    /// once instead of after that transaction.
    @Test func aRefusedCommitDoesNotWaitOnTheRowsItWouldHaveWritten() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        try store.commit(CommitBatch(ruleStateUpserts: [Self.state("s", base: 0)]))
        let other = try PostgresConnection(url: database.url)
        try other.execute("BEGIN", operation: "test")
        try other.run(OutboxColumns.insert, OutboxColumns.values(OutboxRecord(deliveryID: "d1", notificationID: "n", target: "ops",
                                                                              createdAt: Date(), nextAttemptAt: Date())),
                      operation: "test")
        defer { try? other.execute("ROLLBACK", operation: "test") }
        // Based on no row where one exists: stale, and its delivery d1 collides with the
        // other session's uncommitted row.
        let stale = CommitBatch(ruleStateUpserts: [Self.state("s", base: 0, "mine")],
                                outbox: [OutboxRecord(deliveryID: "d1", notificationID: "n", target: "ops", createdAt: Date(), nextAttemptAt: Date())])
        let outcome = CommitOutcomeBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            outcome.set(Result { () throws(StoreError) in try store.commit(stale) })
            done.signal()
        }
        let returned = done.wait(timeout: .now() + 10) == .success
        #expect(returned, "the refused commit waited for the other session's transaction")
        try other.execute("ROLLBACK", operation: "test")
        if !returned { _ = done.wait(timeout: .now() + 30) }
        #expect(outcome.error?.code == .conflict)
    }
}

/// The result of a commit run on another thread.
private final class CommitOutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Void, StoreError>?
    func set(_ result: Result<Void, StoreError>) { lock.withLock { value = result } }
    var error: StoreError? {
        lock.withLock {
            guard case .failure(let error) = value else { return nil }
            return error
        }
    }
}
