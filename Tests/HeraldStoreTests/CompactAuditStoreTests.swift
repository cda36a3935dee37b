import Foundation
import Testing
@testable import HeraldStore

/// How the SQLite store keeps the audit payload and sizes its pages since schema 7
/// (issue #22's bytes per notice), and that files written before keep working.
struct CompactAuditStoreTests {
    static let notice = Data(CompactJSONTests.seedNotice.utf8)

    static func record(_ id: String, payload: Data = notice, at time: Date = at(3)) -> AuditRecord {
        AuditRecord(notificationID: id, ruleID: "utilisation-variance", subjectID: "p-1000", transition: "firing",
                    tier: "10%", createdAt: time, payload: payload)
    }

    /// The payload column as the file holds it.
    static func storedPayload(_ store: SQLiteStore, _ id: String) throws -> Data? {
        try store.perform("test") { (connection) throws(StoreError) in
            try connection.firstRow("SELECT payload FROM audit WHERE notification_id = ?", [.text(id)], operation: "test") {
                $0.blob(0)
            }
        }
    }

    static func pageSize(_ store: SQLiteStore) throws -> Int? {
        try store.perform("test") { (connection) throws(StoreError) in
            try connection.firstRow("PRAGMA page_size", operation: "test") { $0.int(0) }
        }
    }

    /// A committed notice is stored compact and every read gives the JSON it was given:
    /// audit pages, one entry, and the notice a body-less delivery and dead letter send.
    @Test func payloadsAreStoredCompactAndReadBackAsGiven() throws {
        try withStore { store, _ in
            try store.commit(CommitBatch(audit: [Self.record("n1")],
                                         outbox: [NoticeOnceTests.bodiless("d1", notification: "n1")]))
            let stored = try #require(try Self.storedPayload(store, "n1"))
            // Compact, with the record's notification id as the known string.
            #expect(stored.first == CompactJSON.knownMark && stored.count < Self.notice.count / 2)
            #expect(try store.auditPage(limit: 10).items.map(\.record) == [Self.record("n1")])
            #expect(try store.auditEntry(notificationID: "n1")?.record.payload == Self.notice)
            #expect(try store.pendingDeliveries(limit: 10).first?.notice?.payload == Self.notice)
            #expect(try store.moveToDeadLetter(deliveryID: "d1", status: 503, error: "http 503", responseExcerpt: nil, at: at(9)))
            #expect(try store.deadLetters(limit: 10).items.first?.record.notice?.payload == Self.notice)
        }
    }

    /// An operator's record goes through the same stored form.
    @Test func operatorRecordsAreStoredCompactToo() throws {
        try withStore { store, _ in
            let payload = Data(#"{"action":"silence","actor":"operator:ops","at":"2026-12-07T06:41:33.790Z"}"#.utf8)
            let silence = SilenceRecord(id: "s1", body: Data("{}".utf8), startsAt: at(0), endsAt: at(60), createdAt: at(0))
            let changed = try store.applyOperatorChange(.addSilence(silence), audit: Self.record("op-1", payload: payload))
            #expect(changed)
            #expect(CompactJSON.isCompact(try #require(try Self.storedPayload(store, "op-1"))))
            #expect(try store.auditEntry(notificationID: "op-1")?.record.payload == payload)
        }
    }

    /// A file of schema 6 with 4 KiB pages (every file made before this version): it
    /// keeps its page size, its JSON payloads read as they are, a delivery waiting on one
    /// gets its notice, and new notices are stored compact next to the old ones.
    @Test func aSchemaSixFileKeepsWorking() throws {
        try withTemporaryDirectory { directory in
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let connection = try SQLiteConnection(path: directory.appendingPathComponent(SQLiteStore.fileName).path)
                try connection.executeScript("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL", operation: "test")
                try Migrations.migrate(connection, to: 6)
                // As the code of schema 6 wrote them: the payload as JSON.
                try connection.run("""
                    INSERT INTO audit (notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload)
                    VALUES ('old', 'utilisation-variance', 'p-1000', 'firing', '10%', ?, ?)
                    """, [.integer(StoreTime.milliseconds(at(3))), .blob(Self.notice)], operation: "test")
                try connection.run("""
                    INSERT INTO outbox (delivery_id, notification_id, target, created_at_ms, next_attempt_at_ms)
                    VALUES ('d-old', 'old', 'ops', 5000, 5000)
                    """, operation: "test")
            }
            let store = try SQLiteStore(directory: directory)
            #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            #expect(try Self.pageSize(store) == 4_096)
            #expect(store.checkpointPages == SQLiteStore.walCheckpointPages)
            #expect(try Self.storedPayload(store, "old") == Self.notice)   // not rewritten
            #expect(try store.auditEntry(notificationID: "old")?.record == Self.record("old"))
            #expect(try store.pendingDeliveries(limit: 10).first?.notice?.payload == Self.notice)
            try store.commit(CommitBatch(audit: [Self.record("new", at: at(4))]))
            #expect(CompactJSON.isCompact(try #require(try Self.storedPayload(store, "new"))))
            #expect(try store.auditPage(limit: 10).items.map(\.record) == [Self.record("new", at: at(4)), Self.record("old")])
        }
    }

    /// A new file has 8 KiB pages and copies its log back after the same bytes as before
    /// (1,000 pages of 4 KiB); reopening changes neither.
    @Test func aNewFileHasEightKiBPages() throws {
        try withTemporaryDirectory { directory in
            for _ in 0..<2 {
                let store = try SQLiteStore(directory: directory)
                #expect(try Self.pageSize(store) == SQLiteStore.newFilePageBytes)
                #expect(SQLiteStore.newFilePageBytes == 8_192)
                #expect(store.checkpointPages == SQLiteStore.walCheckpointPages / 2)
                try store.commit(CommitBatch(audit: [Self.record("n-\(UUID().uuidString)")]))
            }
        }
    }
}
