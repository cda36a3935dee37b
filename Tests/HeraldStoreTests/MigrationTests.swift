import Foundation
import Testing
@testable import HeraldStore

@Suite struct MigrationTests {
    @Test func freshDatabaseReachesLatestVersionWithAllTables() throws {
        try withStore { store, directory in
            #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            #expect(SQLiteStore.latestSchemaVersion == Migrations.all.count)
            // Pruned pages can go back to the file system (retention, issue #22).
            #expect(try store.autoVacuumModeForTesting() == 2)
            let tables = try store.tableNamesForTesting()
            for table in ["schema_version", "rule_state", "seen_event", "audit", "outbox", "dead_letter",
                          "delivery_outcome", "write_probe"] {
                #expect(tables.contains(table), "missing table \(table)")
            }
            // The directory is private to the daemon's user.
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        }
    }

    @Test func versionOneDatabaseMigratesForwardKeepingItsData() throws {
        try withTemporaryDirectory { directory in
            do {
                let old = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil, schemaVersion: 1)
                #expect(try old.schemaVersion() == 1)
                #expect(try !old.tableNamesForTesting().contains("delivery_outcome"))
                // As the code of that schema wrote it (no revision, no due time).
                try old.executeForTesting("""
                    INSERT INTO rule_state (rule_id, subject_id, state) VALUES
                        ('r1', 's1', CAST('{"tier":"warning"}' AS BLOB)),
                        ('r1', 's2', CAST('{"escalationDueAt":1700000010000,"tier":1}' AS BLOB))
                    """)
            }
            let store = try SQLiteStore(directory: directory)
            #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            #expect(try store.tableNamesForTesting().contains("delivery_outcome"))
            // Rows start at revision 1; a pending escalation is copied out as the due time.
            #expect(try store.loadRuleStates() == [ruleState("r1", "s1", revision: 1),
                                                   ruleState("r1", "s2", #"{"escalationDueAt":1700000010000,"tier":1}"#,
                                                             revision: 1, dueAt: at(10))])
        }
    }

    /// Schema 5 stops copying bodies into outbox rows; rows already written keep theirs.
    @Test func versionFourOutboxAndDeadLetterRowsKeepTheirBodies() throws {
        try withTemporaryDirectory { directory in
            do {
                let old = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil, schemaVersion: 4)
                try old.perform("test") { (connection) throws(StoreError) in
                    try connection.executeScript("""
                        INSERT INTO outbox (delivery_id, notification_id, target, body, created_at_ms, next_attempt_at_ms, attempts)
                            VALUES ('d1', 'n1', 'ops', X'7B7D', 1000, 2000, 3);
                        INSERT INTO dead_letter (delivery_id, notification_id, target, body, created_at_ms, attempts, last_error, dead_at_ms)
                            VALUES ('d2', 'n2', 'ops', X'5B5D', 1000, 8, 'http 503', 3000)
                        """, operation: "test")
                }
            }
            let store = try SQLiteStore(directory: directory)
            #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            // The upgrade of a small file turns on incremental vacuum (one VACUUM).
            #expect(try store.autoVacuumModeForTesting() == 2)
            let pending = try store.pendingDeliveries(limit: 10)
            #expect(pending.map(\.deliveryID) == ["d1"])
            #expect(pending.first?.body == Data("{}".utf8) && pending.first?.attempts == 3 && pending.first?.recipients == nil)
            let dead = try store.deadLetters(limit: 10).items.map(\.record)
            #expect(dead.map(\.deliveryID) == ["d2"] && dead.first?.body == Data("[]".utf8))
            #expect(try store.requeueDeadLetter(deliveryID: "d2", now: Date(timeIntervalSince1970: 4)))
            #expect(try store.pendingDeliveries(limit: 10).map(\.deliveryID).sorted() == ["d1", "d2"])
        }
    }

    @Test func reopeningIsIdempotent() throws {
        try withTemporaryDirectory { directory in
            for _ in 0..<3 {
                let store = try SQLiteStore(directory: directory)
                #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            }
        }
    }

    @Test func databaseFromANewerHeraldIsRefused() throws {
        try withTemporaryDirectory { directory in
            do {
                let store = try SQLiteStore(directory: directory)
                try store.setSchemaVersionForTesting(SQLiteStore.latestSchemaVersion + 1)
            }
            #expect(storeErrorCode { _ = try SQLiteStore(directory: directory) } == .schemaTooNew)
        }
    }

    @Test func unopenableLocationIsATypedError() throws {
        try withTemporaryDirectory { directory in
            // A regular file where the state directory should be.
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let blocker = directory.appendingPathComponent("state")
            try Data("x".utf8).write(to: blocker)
            #expect(storeErrorCode { _ = try SQLiteStore(directory: blocker) } == .io)
        }
    }

    @Test func fileThatIsNotADatabaseIsCorrupt() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(repeating: 0x41, count: 4096).write(to: directory.appendingPathComponent(SQLiteStore.fileName))
            #expect(storeErrorCode { _ = try SQLiteStore(directory: directory) } == .corrupt)
        }
    }
}

/// The store's connection settings, as the operations guide states them.
struct StoreSettingsTests {
    @Test func fullCommitsAndTheStoresOwnCheckpointsAreApplied() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory)
            let (autocheckpoint, synchronous) = try store.perform("test") { (connection) throws(StoreError) in
                (try connection.firstRow("PRAGMA wal_autocheckpoint", operation: "test") { $0.int(0) },
                 try connection.firstRow("PRAGMA synchronous", operation: "test") { $0.int(0) })
            }
            #expect(autocheckpoint == 0)   // SQLite's in-COMMIT checkpoint is off: the store runs its own
            // The same bytes of log as 1,000 pages of 4 KiB, in the new file's 8 KiB pages.
            #expect(store.checkpointPages == SQLiteStore.walCheckpointPages * 4_096 / Int32(SQLiteStore.newFilePageBytes))
            #expect(synchronous == 2)   // FULL
        }
    }
}
