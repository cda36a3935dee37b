import Foundation
import HeraldSupport
import Testing
@testable import HeraldStore

/// The environment failing under the store: a read-only database, a full disk.
/// Each must be a typed error the daemon can turn into 503, and the store must
/// recover once the cause is gone.
@Suite struct FailureTests {
    @Test func readOnlyDatabaseFailsWritesWithATypedErrorAndRecovers() throws {
        try withTemporaryDirectory { directory in
            let metrics = MetricsRegistry()
            let store = try SQLiteStore(directory: directory, metrics: metrics)
            try store.commit(CommitBatch(audit: [audit("n1")]))
            // Root ignores file modes, so query_only stands in for a read-only file.
            try store.setQueryOnlyForTesting(true)
            #expect(storeErrorCode { try store.commit(CommitBatch(audit: [audit("n2")], outbox: [delivery("d1")])) }
                    == .readonly)
            #expect(!store.checkWritable())
            #expect(try store.auditPage(limit: 10).items.count == 1)   // reads still work
            #expect(metrics.value("herald_store_errors_total", [("code", "readonly")]) == 2)

            try store.setQueryOnlyForTesting(false)
            #expect(store.checkWritable())
            try store.commit(CommitBatch(audit: [audit("n2")], outbox: [delivery("d1")]))
            #expect(try store.auditPage(limit: 10).items.count == 2)
            #expect(try store.outboxDepth() == 1)
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores file permissions"))
    func readOnlyFileFromPermissionsIsATypedError() throws {
        try withTemporaryDirectory { directory in
            do { _ = try SQLiteStore(directory: directory) }
            let file = directory.appendingPathComponent(SQLiteStore.fileName)
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: file.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path) }
            let code = storeErrorCode {
                let store = try SQLiteStore(directory: directory)
                try store.commit(CommitBatch(audit: [audit("n1")]))
            }
            #expect(code == .readonly || code == .io)
        }
    }

    @Test func fullDiskFailsTheCommitWithATypedErrorAndRecovers() throws {
        try withStore { store, _ in
            try store.commit(CommitBatch(audit: [audit("n1")]))
            // Cap the file at its current size: any growth is SQLITE_FULL, like a full disk.
            let cap = try store.setMaxPageCountForTesting(1)
            #expect(cap > 1)
            let big = CommitBatch(outbox: (0..<200).map {
                OutboxRecord(deliveryID: "d\($0)", notificationID: "n", target: "ops",
                             body: Data(repeating: 1, count: 4096), createdAt: at(0), nextAttemptAt: at(0))
            })
            #expect(storeErrorCode { try store.commit(big) } == .full)
            #expect(try store.outboxDepth() == 0)

            try store.setMaxPageCountForTesting(1_000_000)
            try store.commit(big)
            #expect(try store.outboxDepth() == 200)
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = StoreError(code: .full, operation: "commit", message: "database or disk is full")
        #expect(error.description == "store commit failed (full): database or disk is full")
        #expect(error.isUnavailable)
        #expect(!StoreError(code: .constraint, operation: "commit", message: "").isUnavailable)
        #expect(StoreError.Code.schemaTooNew.rawValue == "schema_too_new")
    }

    /// SQLite result codes (numeric, as in sqlite3.h) and the stable code each maps to.
    @Test(arguments: [(Int32, StoreError.Code)]([
        (Int32(5), StoreError.Code.busy),   // SQLITE_BUSY
        (6, .busy),                         // SQLITE_LOCKED
        (8, .readonly),                     // SQLITE_READONLY
        (1032, .readonly),                  // SQLITE_READONLY_DBMOVED (extended)
        (13, .full),                        // SQLITE_FULL
        (11, .corrupt),                     // SQLITE_CORRUPT
        (26, .corrupt),                     // SQLITE_NOTADB
        (10, .io),                          // SQLITE_IOERR
        (778, .io),                         // SQLITE_IOERR_WRITE (extended)
        (14, .io),                          // SQLITE_CANTOPEN
        (19, .constraint),                  // SQLITE_CONSTRAINT
        (2067, .constraint),                // SQLITE_CONSTRAINT_UNIQUE (extended)
        (21, .misuse),                      // SQLITE_MISUSE
        (7, .noMemory),                     // SQLITE_NOMEM
        (1, .other),                        // SQLITE_ERROR
    ]))
    func sqliteResultCodesMapToStableCodes(result: Int32, expected: StoreError.Code) {
        #expect(StoreError.code(forSQLiteResult: result) == expected)
    }
}
