public import Foundation
public import HeraldStore
public import HeraldSupport

/// Herald's durable state in a PostgreSQL database that several Herald instances may
/// share (issue #20): the second `StateStore`, with the same contract as `SQLiteStore`
/// and the same contract tests (Tests/HeraldStoreTests, `StoreUnderTest.postgresql`).
///
/// Calls are synchronous: each borrows a connection from the pool (`connections` of
/// them), so up to that many calls run at once, and waits for the server's answer.
/// Every write runs in a transaction that first checks the schema version
/// (`PostgresSchema.guardVersion`), so an instance left behind by an upgrade stops
/// writing. Failures are `StoreError`s with the same codes as SQLite's; a lost
/// connection is `io` (503), and the pool reconnects on the next call.
///
/// Outbox rows are claimed (PostgresStore+Claims.swift): an instance sends only rows it
/// holds, and finishes only rows nobody else holds. Rule-state rows carry a revision that
/// every commit checks (PostgresStore+Commit.swift), so an instance never builds on a
/// state another changed since it read it; due escalation timers are found by an index
/// (PostgresStore+RuleStates.swift); maintenance runs under a leader row.
public final class PostgresStore: StateStore, @unchecked Sendable {
    /// The schema version this code writes.
    public static var latestSchemaVersion: Int { PostgresSchema.latestVersion }

    /// How long a claim on an outbox row lasts (on the database's clock) before another
    /// instance may take the row, unless `store.postgresql.leaseSeconds` says otherwise:
    /// three times a target's default 10 s timeout, so one attempt finishes well inside it;
    /// short enough that the rows of an instance that died go out again within half a
    /// minute. The sender renews the claims of the rows it holds in memory every third of
    /// it (`renewClaims`), and never starts a row whose claim may have run out.
    public static let leaseMilliseconds = 30_000

    /// This process's name in `outbox.claimed_by`: new at every start, so a restarted
    /// instance never mistakes its predecessor's claims (released at a clean stop,
    /// expired after a crash) for its own.
    public let instanceID = "herald-" + UUID().uuidString.lowercased()
    /// How long this instance's claims last: `leaseMilliseconds` unless configured.
    let leaseMilliseconds: Int
    /// The claim lease in seconds, for the sender's renewal and its send guard.
    public var leaseSeconds: TimeInterval { Double(leaseMilliseconds) / 1000 }

    let pool: PostgresPool
    /// For the listener's own connection (`makeListener`); never logged.
    let url: String
    private let metrics: MetricsRegistry?
    /// The version every write checks for (`latestSchemaVersion` except in tests).
    let schemaVersion: Int
    private let lock = NSLock()
    /// Where the next audit pruning step starts (see PostgresStore+Retention.swift).
    /// Guarded by `lock`.
    private var auditPruneCursorValue: Int64 = 0

    /// Connects (`connections` at most), brings the schema up to date, and fails when the
    /// database cannot be reached or is newer than this code.
    ///
    /// - Parameters:
    ///   - url: a libpq URL or key=value string; never logged (it may hold a password).
    ///   - connections: the pool size, `1...PostgresPool.maxConnections`.
    ///   - metrics: when given, every failure counts in `herald_store_errors_total{code}`.
    ///   - leaseMilliseconds: how long an outbox claim lasts (`store.postgresql.leaseSeconds`).
    public convenience init(url: String, connections: Int, metrics: MetricsRegistry? = nil,
                            leaseMilliseconds: Int = PostgresStore.leaseMilliseconds) throws(StoreError) {
        try self.init(url: url, connections: connections, metrics: metrics, schemaVersion: PostgresSchema.latestVersion,
                      leaseMilliseconds: leaseMilliseconds)
    }

    /// Opens the store migrating only up to `schemaVersion` (tests build old databases)
    /// with claims lasting `leaseMilliseconds` (tests let them run out quickly).
    init(url: String, connections: Int, metrics: MetricsRegistry?, schemaVersion: Int,
         leaseMilliseconds: Int = PostgresStore.leaseMilliseconds) throws(StoreError) {
        self.metrics = metrics
        self.schemaVersion = schemaVersion
        self.leaseMilliseconds = leaseMilliseconds
        self.url = url
        do throws(PostgresError) {
            pool = try PostgresPool(url: url, size: connections)
            _ = try PostgresSchema.migrate(pool, to: schemaVersion)
        } catch {
            let failure = StoreError(error)
            Self.count(failure, in: metrics)
            throw failure
        }
    }

    // MARK: - Running calls

    /// Runs `body` with a pooled connection (reads); failures counted and mapped.
    func read<T>(_ operation: String, _ body: (PostgresConnection) throws(PostgresError) -> T) throws(StoreError) -> T {
        try mapped { () throws(PostgresError) in try pool.withConnection(operation: operation, body) }
    }

    /// Runs `body` in a guarded write transaction (see `PostgresSchema.guardVersion`).
    func write<T>(_ operation: String, _ body: (PostgresConnection) throws(PostgresError) -> T) throws(StoreError) -> T {
        let version = schemaVersion
        return try mapped { () throws(PostgresError) in
            try pool.transaction(operation: operation) { (connection) throws(PostgresError) in
                try PostgresSchema.guardVersion(connection, expected: version, operation: operation)
                return try body(connection)
            }
        }
    }

    func mapped<T>(_ body: () throws(PostgresError) -> T) throws(StoreError) -> T {
        do throws(PostgresError) {
            return try body()
        } catch {
            let failure = StoreError(error)
            Self.count(failure, in: metrics)
            throw failure
        }
    }

    /// Counts one failed store operation under its stable code (the metric SQLite's store
    /// also writes, so dashboards need not know which store runs).
    private static func count(_ error: StoreError, in metrics: MetricsRegistry?) {
        metrics?.increment("herald_store_errors_total", [("code", error.code.rawValue)],
                           help: "Store operations that failed, by error code.")
    }

    /// The audit pruning cursor, read and replaced under the lock.
    var auditPruneCursor: Int64 {
        get { lock.withLock { auditPruneCursorValue } }
        set { lock.withLock { auditPruneCursorValue = newValue } }
    }

    // MARK: - Health and size

    /// Readiness: rewrites the one `write_probe` row in a guarded transaction. False when
    /// the database cannot take a write now (down, a standby, full) or has been upgraded
    /// by a newer Herald.
    public func checkWritable(now: Date) -> Bool {
        do {
            try write("check writable") { (connection) throws(PostgresError) in
                try connection.run("""
                    INSERT INTO write_probe (id, at_ms) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms
                    """, [PostgresColumns.time(now)], operation: "check writable")
            }
            return true
        } catch {
            return false
        }
    }

    /// Several instances may share the database.
    public var isShared: Bool { true }

    /// PostgreSQL gives space back itself (autovacuum): nothing to do.
    public func releaseFreeSpace(maxPages: Int) throws(StoreError) -> Int { 0 }

    /// The database's size (`pg_database_size`), rows and oldest record per table; free
    /// space is PostgreSQL's business and reported as 0.
    public func statistics() throws(StoreError) -> StoreStatistics {
        try read("store statistics") { (connection) throws(PostgresError) in
            func scalar(_ sql: String) throws(PostgresError) -> Int64 {
                try connection.firstRow(sql, operation: "store statistics") { $0.int64(0) } ?? 0
            }
            var statistics = StoreStatistics(fileBytes: try scalar("SELECT pg_database_size(current_database())"), freeBytes: 0)
            for (table, time) in Self.historyTables {
                statistics.rows[table] = Int(try scalar("SELECT count(*) FROM \(table)"))
                if let oldest = try connection.firstRow("SELECT \(time) FROM \(table) ORDER BY id LIMIT 1",
                                                        operation: "store statistics", { $0.int64(0) }) {
                    statistics.oldest[table] = Date(timeIntervalSince1970: Double(oldest) / 1000)
                }
            }
            statistics.rows["rule_state"] = Int(try scalar("SELECT count(*) FROM rule_state"))
            statistics.rows["seen_event"] = Int(try scalar("SELECT count(*) FROM seen_event"))
            return statistics
        }
    }

    /// The tables with rows by id in time order, and the time column of each (fixed
    /// names from this code, never input).
    static let historyTables = [("audit", "created_at_ms"), ("outbox", "created_at_ms"),
                                ("dead_letter", "dead_at_ms"), ("delivery_outcome", "at_ms")]

    /// The schema version recorded in the database.
    public func recordedSchemaVersion() throws(StoreError) -> Int {
        try read("read schema version") { (connection) throws(PostgresError) in try PostgresSchema.version(connection) }
    }
}
