import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// The commit's non-state rows written as one multi-row statement per table: every
/// column as the one-row statements wrote it, rows in commit order, and the seen-event
/// ids another commit stored first named.
struct CommitRowsTests {
    static func at(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(1_700_000_000_000 + ms) / 1000) }

    /// Runs `CommitRows` for `batches` in one guarded write on `store` (the seen ids
    /// sorted, as commits claim them); returns the refusal's message when an id was
    /// found already stored (the write then rolls back), nil when it committed.
    func commit(_ batches: [CommitBatch], on store: PostgresStore) throws -> String? {
        let seen = batches.flatMap(\.seenEvents).sorted { $0.eventID < $1.eventID }
        let outcome = Result { () throws(StoreError) in
            try store.write("test commit rows") { (connection) throws(PostgresError) in
                var pipeline = PostgresPipeline()
                CommitRows.queueSeenEvents(seen, on: &pipeline)
                CommitRows.queueRows(batches, on: &pipeline, claimedBy: "me", leaseMilliseconds: 60_000)
                _ = try connection.run(pipeline)
            }
        }
        if case .failure(let error) = outcome, error.code == .conflict { return error.message }
        try outcome.get()
        return nil
    }

    @Test func everyColumnLandsAsWrittenInCommitOrder() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        let payload = Data("{\"n\":\"ü\\\"\"}".utf8)
        var first = CommitBatch(
            seenEvents: [SeenEventRecord(eventID: "e1", seenAt: Self.at(1)), SeenEventRecord(eventID: "e2", seenAt: Self.at(2))],
            audit: [AuditRecord(notificationID: "n2", ruleID: "r", subjectID: "s,1", transition: "raised", tier: "high",
                                createdAt: Self.at(3), payload: payload),
                    AuditRecord(notificationID: "n1", ruleID: "r", subjectID: "s", transition: "resolved", tier: nil,
                                createdAt: Self.at(4), payload: Data(), suppressed: "silence-1")],
            outbox: [OutboxRecord(deliveryID: "d1", notificationID: "n2", target: "ops", recipients: ["u1", "u\"2"],
                                  createdAt: Self.at(5), nextAttemptAt: Self.at(6))])
        first.deadLetters = [DeadLetterRecord(deliveryID: "x1", notificationID: "n2", target: "full", body: nil, recipients: nil,
                                              createdAt: Self.at(7), attempts: 0, lastStatus: nil, lastError: "backlog full",
                                              responseExcerpt: nil, deadAt: Self.at(8))]
        let second = CommitBatch(seenEvents: [SeenEventRecord(eventID: "e3", seenAt: Self.at(9))],
                                 audit: [AuditRecord(notificationID: "n3", ruleID: "q", subjectID: "s", transition: "raised",
                                                     tier: "low", createdAt: Self.at(10), payload: Data([0, 1]))],
                                 outbox: [OutboxRecord(deliveryID: "d2", notificationID: "n3", target: "ops", body: Data([0]),
                                                       createdAt: Self.at(11), nextAttemptAt: Self.at(12), attempts: 2,
                                                       lastStatus: 503, lastError: "busy")])
        #expect(try commit([first, second], on: store) == nil)

        let rows = try store.pool.withConnection(operation: "test") { (c) throws(PostgresError) in
            (seen: try c.rows("SELECT event_id, seen_at_ms FROM seen_event ORDER BY seen_at_ms", operation: "test") { "\($0.text(0))@\($0.int64(1))" },
             audit: try c.rows("SELECT \(AuditColumns.names) FROM audit ORDER BY id", operation: "test", AuditColumns.entry),
             outbox: try c.rows("SELECT \(OutboxColumns.names), claimed_by FROM outbox ORDER BY id", operation: "test") {
                 (OutboxColumns.record($0), $0.text(10))
             },
             dead: try c.rows("SELECT delivery_id, last_error FROM dead_letter", operation: "test") { "\($0.text(0)):\($0.text(1))" })
        }
        #expect(rows.seen == ["e1@1700000000001", "e2@1700000000002", "e3@1700000000009"])
        // Audit ids follow the order of the batches and of the records in each.
        #expect(rows.audit.map(\.record) == first.audit + second.audit)
        #expect(rows.audit.map(\.cursor) == rows.audit.map(\.cursor).sorted())
        #expect(rows.outbox.map(\.0) == first.outbox + second.outbox)
        #expect(rows.outbox.map(\.1) == ["me", "me"])
        #expect(rows.dead == ["x1:backlog full"])
    }

    @Test func theFirstIdStoredBeforeIsNamedAndReplayedNoticesAreKeptOnce() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        let notice = AuditRecord(notificationID: "n1", ruleID: "r", subjectID: "s", transition: "raised", tier: "t",
                                 createdAt: Self.at(0), payload: Data("{}".utf8))
        let seen = { (id: String) in SeenEventRecord(eventID: id, seenAt: Self.at(1)) }
        #expect(try commit([CommitBatch(seenEvents: [seen("b"), seen("d")], audit: [notice])], on: store) == nil)
        // "b" and "d" were stored before; the first in claim order is named, and nothing
        // of the refused write is kept (the server skipped the rows after the claim).
        let again = try commit([CommitBatch(seenEvents: [seen("c"), seen("d")]), CommitBatch(seenEvents: [seen("b"), seen("a")], audit: [notice])],
                               on: store)
        #expect(again?.contains("event id b was already accepted") == true)
        #expect(try store.loadSeenEvents(since: Self.at(0)).map(\.eventID).sorted() == ["b", "d"])
        // A notice written again (a replayed decision) is kept once.
        #expect(try commit([CommitBatch(seenEvents: [seen("e")], audit: [notice])], on: store) == nil)
        #expect(try store.loadSeenEvents(since: Self.at(0)).map(\.eventID).sorted() == ["b", "d", "e"])
        #expect(try store.pool.withConnection(operation: "test") { (c) throws(PostgresError) in
            try c.firstRow("SELECT count(*) FROM audit", operation: "test") { $0.int(0) }
        } == 1)
    }
}
