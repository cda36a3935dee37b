import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// The feed of rule-state writes instances follow to keep their memory fresh: every row
/// written after a cursor is read after it, page by page, none skipped — not even the
/// rows of a transaction that was still open when a later one had already been read,
/// and a long transaction elsewhere on the server (a backup) does not hold it back.
struct PostgresFeedTests {
    func withStores(_ body: (TemporaryPostgres, String, PostgresStore, PostgresStore) throws -> Void) throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        try body(server, database.name, try PostgresStore(url: database.url, connections: 2),
                 try PostgresStore(url: database.url, connections: 2))
    }

    func record(_ subject: String, revision: Int64 = 0, _ text: String = "{}") -> RuleStateRecord {
        RuleStateRecord(ruleID: "r", subjectID: subject, state: Data(text.utf8), revision: revision)
    }

    /// Everything the feed yields from `cursor` until it has nothing new, newest revision per key.
    func follow(_ store: PostgresStore, from cursor: inout RuleStateCursor, limit: Int) throws -> [String: Int64] {
        var seen: [String: Int64] = [:]
        for _ in 0..<100 {
            let page = try store.ruleStateChanges(after: cursor, limit: limit)
            for row in page.rows { seen[row.subjectID] = max(seen[row.subjectID] ?? 0, row.revision) }
            let moved = page.next != cursor
            cursor = page.next
            if page.rows.count < limit || !moved { break }
        }
        return seen
    }

    @Test func writesAfterTheCursorAreReadPageByPage() throws {
        try withStores { _, _, writer, reader in
            try writer.commit(CommitBatch(ruleStateUpserts: [record("before")]))
            var cursor = try reader.ruleStateCursor()
            try writer.commit(CommitBatch(ruleStateUpserts: (0..<7).map { record("s\($0)") }))
            try writer.commit(CommitBatch(ruleStateUpserts: [record("s3", revision: 1, #"{"n":2}"#)]))
            let seen = try follow(reader, from: &cursor, limit: 2)
            #expect(Set(seen.keys).isSuperset(of: (0..<7).map { "s\($0)" }))
            #expect(seen["s3"] == 2)
            // Nothing new: the feed stays where it is (rows may come again, never fewer).
            try writer.commit(CommitBatch(ruleStateUpserts: [record("late")]))
            #expect(try follow(reader, from: &cursor, limit: 2)["late"] == 1)
        }
    }

    /// An instance's own writes are in its memory already: its feed skips them, and
    /// moves past them, so it reads only what the others wrote.
    @Test func anInstanceDoesNotReadItsOwnWritesBack() throws {
        try withStores { server, name, other, me in
            var cursor = try me.ruleStateCursor()
            try me.commit(CommitBatch(ruleStateUpserts: (0..<5).map { record("mine\($0)") }))
            try other.commit(CommitBatch(ruleStateUpserts: [record("theirs")]))
            try me.commit(CommitBatch(ruleStateUpserts: [record("mine-later")]))
            #expect(try follow(me, from: &cursor, limit: 2).keys.sorted() == ["theirs"])
            // The position is past the last logged commit, own ones included.
            let newest = Int64(try server.psql("SELECT xid::text FROM rule_state_change ORDER BY xid DESC LIMIT 1", database: name)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(cursor.transaction == newest + 1)
            // The other instance reads them all.
            var theirs = RuleStateCursor.start
            #expect(try follow(other, from: &theirs, limit: 100).keys.sorted() == ["mine-later", "mine0", "mine1", "mine2", "mine3", "mine4"])
        }
    }

    @Test func aTransactionStillOpenWhenLaterOnesWereReadIsNotSkipped() throws {
        try withStores { server, name, writer, reader in
            var cursor = try reader.ruleStateCursor()
            // A transaction that started first (lower number) and commits last.
            let slow = Thread { _ = try? server.psql("""
                BEGIN; INSERT INTO rule_state (rule_id, subject_id, state) VALUES ('r', 'slow', convert_to('{}', 'UTF8'));
                INSERT INTO rule_state_change (rule_ids, subject_ids, at_ms) VALUES ('{r}', '{slow}', 0);
                SELECT pg_sleep(1.5); COMMIT;
                """, database: name) }
            slow.start()
            Thread.sleep(forTimeInterval: 0.5)
            try writer.commit(CommitBatch(ruleStateUpserts: [record("fast")]))
            let first = try follow(reader, from: &cursor, limit: 10)
            #expect(first["fast"] == 1 && first["slow"] == nil)
            Thread.sleep(forTimeInterval: 2)
            #expect(try follow(reader, from: &cursor, limit: 10)["slow"] == 1)
        }
    }

    @Test func aLongTransactionElsewhereDoesNotHoldTheFeedBack() throws {
        try withStores { server, _, writer, reader in
            var cursor = try reader.ruleStateCursor()
            // Another database on the same server, a transaction open for the whole test
            // (as pg_dump holds one): it holds back the oldest running transaction.
            let other = try server.createDatabase()
            defer { server.drop(other.name) }
            let long = Thread { _ = try? server.psql("BEGIN; SELECT pg_current_xact_id(); SELECT pg_sleep(4); COMMIT;", database: other.name) }
            long.start()
            Thread.sleep(forTimeInterval: 0.5)
            for round in 0..<3 {
                try writer.commit(CommitBatch(ruleStateUpserts: (0..<5).map { record("r\(round)-\($0)") }))
                let seen = try follow(reader, from: &cursor, limit: 2)
                #expect(Set(seen.keys).isSuperset(of: (0..<5).map { "r\(round)-\($0)" }), "round \(round)")
            }
        }
    }
}

extension PostgresFeedTests {
    func logRows(_ server: TemporaryPostgres, _ name: String) throws -> Int {
        Int(try server.psql("SELECT count(*) FROM rule_state_change", database: name).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The log of written keys is pruned by age on the database clock; a reader that
    /// read nothing for longer than the log keeps keys (here: its last read moved 5
    /// minutes back) cannot know what it missed, and reads every row once; a reader that
    /// keeps polling is not affected.
    @Test func theLogIsPrunedAndAReaderBehindItReadsEveryRowOnce() throws {
        try withStores { server, name, writer, reader in
            let polling = try reader.ruleStateCursor()
            var stalled = polling
            stalled.readAt -= 5 * 60_000
            try writer.commit(CommitBatch(ruleStateUpserts: [record("old")]))
            try writer.commit(CommitBatch(ruleStateUpserts: [record("new")]))
            #expect(try logRows(server, name) == 2)
            // The first commit's keys are older than the log keeps.
            let aged = Int64(PostgresStore.ruleStateLogRetention * 1000) + 1_000
            try server.psql("""
                UPDATE rule_state_change SET at_ms = at_ms - \(aged) WHERE xid = (SELECT xid FROM rule_state_change ORDER BY xid LIMIT 1)
                """, database: name)
            let cutoffs = RetentionCutoffs(auditBefore: Date(timeIntervalSince1970: 0), deliveriesBefore: Date(timeIntervalSince1970: 0))
            _ = try writer.pruneHistory(cutoffs, limit: 100)
            #expect(try logRows(server, name) == 1)
            // Stalled: every stored row (both), and a position after them.
            var cursor = stalled
            let all = try reader.ruleStateChanges(after: cursor, limit: 10)
            #expect(Set(all.rows.map(\.subjectID)) == ["old", "new"])
            cursor = all.next
            try writer.commit(CommitBatch(ruleStateUpserts: [record("later")]))
            let after = try follow(reader, from: &cursor, limit: 10)
            #expect(after.keys.sorted() == ["later"], "\(after) from \(all.next)")
            // Polling (its last read within the log's time): the keys still logged, not a reload.
            var recent = polling
            let seen = try follow(reader, from: &recent, limit: 10)
            #expect(seen["new"] == 1 && seen["later"] == 1)
        }
    }
}

/// PostgreSQL keeps an operator's change and its audit record together too.
struct PostgresOperatorChangeTests {
    @Test func withoutItsRecordTheChangeIsNotKept() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let store = try PostgresStore(url: database.url, connections: 1)
        try server.psql("""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse();
            """, database: database.name)
        let silence = SilenceRecord(id: "s1", body: Data("{}".utf8), startsAt: Date(), endsAt: Date().addingTimeInterval(60), createdAt: Date())
        let audit = AuditRecord(notificationID: "a1", ruleID: "", subjectID: "", transition: "silence", tier: nil, createdAt: Date(),
                                payload: Data("{}".utf8))
        #expect(throws: StoreError.self) { try store.applyOperatorChange(.addSilence(silence), audit: audit) }
        #expect(try store.silences().isEmpty)
    }
}
