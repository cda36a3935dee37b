import Foundation
// Internal hooks that let tests put the store into states that are hard to reach for
// real on a CI machine (a full disk, a read-only file while running as root, a file from
// a newer Herald). Reached with `@testable import`; not part of the public API.

extension SQLiteStore {
    /// `PRAGMA query_only`: when on, every write fails with SQLITE_READONLY exactly as a
    /// read-only file would; root ignores chmod, so this is how tests reach that path.
    func setQueryOnlyForTesting(_ on: Bool) throws(StoreError) {
        try perform("test hook") { (connection) throws(StoreError) in
            try connection.executeScript("PRAGMA query_only = \(on ? 1 : 0)", operation: "test hook")
        }
    }

    /// `PRAGMA max_page_count`: a write that would grow the file past `pages` fails with
    /// SQLITE_FULL, like a full disk. Returns the limit SQLite actually applied (it never
    /// goes below the current size).
    @discardableResult
    func setMaxPageCountForTesting(_ pages: Int) throws(StoreError) -> Int {
        try perform("test hook") { (connection) throws(StoreError) in
            try connection.firstRow("PRAGMA max_page_count = \(pages)", operation: "test hook") { $0.int(0) } ?? 0
        }
    }

    /// Overwrites the recorded schema version (to simulate a file from a newer Herald).
    func setSchemaVersionForTesting(_ version: Int) throws(StoreError) {
        try perform("test hook") { (connection) throws(StoreError) in
            try Migrations.setVersion(connection, version)
        }
    }

    /// Makes the next `commit` write everything and then fail with `error` before COMMIT.
    func failNextCommitForTesting(with error: StoreError) {
        _ = try? perform("test hook") { (_) in probe.commitFailure = error }
    }

    /// Number of `commit` transactions that have succeeded since the store was opened
    /// (group-commit tests compare it with the batches submitted).
    var commitTransactionCount: Int { queue.sync { probe.committedTransactions } }

    /// Checkpoints that completed since the store was opened.
    var checkpointCount: Int {
        waitForCheckpoints()
        return queue.sync { probe.checkpoints }
    }

    /// Waits (at most 10 s) until no checkpoint runs beside the store or waits to be
    /// finished on its queue, so a test's own checkpoint is not refused as `busy`.
    func waitForCheckpoints() {
        guard let background else { return }
        let deadline = Date().addingTimeInterval(10)
        while background.isBusy, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
    }

    /// Names of the user tables, to check what a migration created.
    /// Runs `sql` as it is: tests write rows the way an older schema's code did.
    func executeForTesting(_ sql: String) throws(StoreError) {
        try perform("test") { (connection) throws(StoreError) in try connection.executeScript(sql, operation: "test") }
    }

    func tableNamesForTesting() throws(StoreError) -> Set<String> {
        try perform("test hook") { (connection) throws(StoreError) in
            Set(try connection.rows("SELECT name FROM sqlite_master WHERE type = 'table'",
                                    operation: "test hook") { $0.text(0) })
        }
    }
}

extension SQLiteStore {
    /// Stops the store queue from starting new work, so a commit in progress (or about
    /// to start) blocks: lets tests hold the group committer's writer mid-transaction.
    func suspendForTesting() { queue.suspend() }

    /// Undoes `suspendForTesting`.
    func resumeForTesting() { queue.resume() }
}

extension SQLiteStore {
    /// What tests inject into a store and read back from it. Everything else about the
    /// hooks lives in extensions; only this value has to be stored in `SQLiteStore` itself.
    /// Production code touches it at two places in `commit` and one in the checkpoint.
    struct TestProbe {
        /// Set by `failNextCommitForTesting`: the next `commit` fails after writing,
        /// before COMMIT.
        var commitFailure: StoreError?
        /// `commit` transactions that succeeded.
        var committedTransactions = 0
        /// WAL checkpoints that completed.
        var checkpoints = 0

        /// Throws (once) the failure a test injected; does nothing otherwise.
        mutating func throwInjectedCommitFailure() throws(StoreError) {
            guard let failure = commitFailure else { return }
            commitFailure = nil
            throw failure
        }
    }
}

extension SQLiteStore {
    /// SQLite's `auto_vacuum` mode of the file (0 none, 1 full, 2 incremental).
    func autoVacuumModeForTesting() throws(StoreError) -> Int {
        try perform("test") { (connection) throws(StoreError) in
            try connection.firstRow("PRAGMA auto_vacuum", operation: "test") { $0.int(0) } ?? -1
        }
    }
}
