import CSQLite
import Foundation

/// The one Swift owner of an `sqlite3*`, with thin typed wrappers and a cache of prepared
/// statements. Closed in `deinit`.
///
/// Not thread-safe by itself: `SQLiteStore` confines it to one serial queue, so SQLite is opened
/// with `SQLITE_OPEN_NOMUTEX` and no lock is paid twice.
final class SQLiteConnection {
    /// How long a write waits for another connection's lock before failing with `busy`.
    /// Herald holds the only writer, so waits come from an operator's `sqlite3` shell or
    /// a backup; 5 s covers those without hanging an ingest request past its timeout.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    let handle: OpaquePointer
    /// Prepared statements by SQL text. Bounded because every SQL string comes from the
    /// store's code (a few dozen shapes; audit filters add at most 16), never from input.
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database file at `path` for reading and writing.
    init(path: String) throws(StoreError) {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK, let opened else {
            // On failure SQLite usually still allocates a handle that carries the message.
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(opened)
            throw StoreError(sqliteResult: result, message: "\(message) (\(path))", operation: "open")
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, SQLiteConnection.busyTimeoutMilliseconds)
    }

    deinit {
        statements.removeAll()   // finalize every cached statement before closing
        sqlite3_close_v2(handle)
    }

    // MARK: - WAL checkpoints

    /// Frames in the WAL after the last commit on this connection, as SQLite's WAL hook
    /// reported it; 0 until `observeWAL()` and after `checkpointWAL()`.
    private(set) var walFrames: Int32 = 0

    /// Turns SQLite's automatic checkpoint off and only records the WAL's size after each
    /// commit: the caller decides when to copy it back (`checkpointWAL`). The automatic
    /// one runs inside the COMMIT that crosses its threshold, so that commit's caller
    /// waits for the database file's fsync too.
    func observeWAL() throws(StoreError) {
        // Must come first: the pragma installs (or, at 0, removes) SQLite's own hook.
        try executeScript("PRAGMA wal_autocheckpoint = 0", operation: "open")
        sqlite3_wal_hook(handle, { context, _, _, frames in
            // Called inside sqlite3_step of a COMMIT, i.e. on the thread using this connection.
            Unmanaged<SQLiteConnection>.fromOpaque(context!).takeUnretainedValue().walFrames = frames
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A passive checkpoint: copies as much of the WAL into the database as no reader
    /// still needs, without waiting for readers.
    func checkpointWAL(operation: String) throws(StoreError) {
        let result = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        // Whatever happened, wait for the next commit to report the size again rather than
        // retrying after every call.
        walFrames = 0
        guard result == SQLITE_OK else {
            throw StoreError(sqliteResult: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
                             operation: operation)
        }
    }

    // MARK: - Running SQL

    /// Runs SQL text that may hold several statements and takes no parameters
    /// (pragmas, migrations). Not cached: these run once.
    func executeScript(_ sql: String, operation: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &message)
        guard result == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_free(message)
            throw StoreError(sqliteResult: sqlite3_extended_errcode(handle), message: text, operation: operation)
        }
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    func statement(_ sql: String, operation: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard result == SQLITE_OK, let prepared else {
            // A plain SQLITE_ERROR from prepare is bad SQL (our bug); anything else is the
            // environment showing through (not a database, busy schema lock, no memory).
            let code: StoreError.Code = result == SQLITE_ERROR ? .misuse : StoreError.code(forSQLiteResult: result)
            throw StoreError(code: code, operation: operation,
                             message: "\(String(cString: sqlite3_errmsg(handle))) in: \(sql)",
                             sqliteResultCode: sqlite3_extended_errcode(handle))
        }
        let statement = SQLiteStatement(handle: prepared, database: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs one cached statement to completion with `values`; returns the rows it changed.
    @discardableResult
    func run(_ statement: SQLiteStatement, _ values: [SQLiteValue], operation: String) throws(StoreError) -> Int {
        defer { statement.reset() }
        try statement.bind(values, operation: operation)
        while try statement.step(operation: operation) {}
        return Int(sqlite3_changes(handle))
    }

    /// Prepares (or reuses) `sql` and runs it to completion; returns the rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = [], operation: String) throws(StoreError) -> Int {
        try run(try statement(sql, operation: operation), values, operation: operation)
    }

    /// Runs a query and maps every row.
    func rows<T>(_ sql: String, _ values: [SQLiteValue] = [], operation: String,
                 _ map: (SQLiteRow) -> T) throws(StoreError) -> [T] {
        let statement = try statement(sql, operation: operation)
        defer { statement.reset() }
        try statement.bind(values, operation: operation)
        var result: [T] = []
        let row = SQLiteRow(statement: statement.handle)
        while try statement.step(operation: operation) {
            result.append(map(row))
        }
        return result
    }

    /// The first row of a query, mapped, or nil when there is none.
    func firstRow<T>(_ sql: String, _ values: [SQLiteValue] = [], operation: String,
                     _ map: (SQLiteRow) -> T) throws(StoreError) -> T? {
        let statement = try statement(sql, operation: operation)
        defer { statement.reset() }
        try statement.bind(values, operation: operation)
        guard try statement.step(operation: operation) else { return nil }
        return map(SQLiteRow(statement: statement.handle))
    }

    // MARK: - Transactions

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; on any error rolls back and rethrows.
    ///
    /// IMMEDIATE takes the write lock up front, so a busy database waits at `BEGIN` (with
    /// the busy timeout) instead of failing halfway through the batch.
    func transaction<T>(operation: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try run("BEGIN IMMEDIATE", operation: operation)
        do {
            let value = try body()
            try run("COMMIT", operation: operation)
            return value
        } catch {
            rollbackIfOpen()
            throw error
        }
    }

    /// Rolls back an open transaction; SQLite may already have rolled back by itself
    /// (e.g. after SQLITE_FULL), in which case there is nothing to do.
    private func rollbackIfOpen() {
        guard sqlite3_get_autocommit(handle) == 0 else { return }
        _ = try? run("ROLLBACK", operation: "rollback")
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }
}
