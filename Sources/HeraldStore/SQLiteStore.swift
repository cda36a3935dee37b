public import Foundation
public import HeraldSupport

/// Herald's durable state in one SQLite file: rule state, seen event ids, the audit log,
/// the delivery outbox, dead letters and delivery history. The first `StateStore`: the
/// daemon opens it and hands the rest of itself the protocol.
///
/// Every call runs synchronously on the store's own serial queue, so the single
/// connection is never used by two threads at once and callers may call from anywhere.
/// Writers that want throughput go through `GroupCommitter`, which batches many events
/// into one transaction (one fsync). Errors are `StoreError` values; a full disk or a
/// read-only file fails the call and leaves the store usable once the cause is gone.
public final class SQLiteStore: StateStore, @unchecked Sendable {
    /// SQLite's `synchronous` setting: how hard each commit waits for the disk.
    public enum Synchronous: String, Sendable {
        /// fsync the WAL on every commit: an acknowledged event survives power loss.
        case full = "FULL"
        /// fsync only at checkpoints: survives a process crash, may lose the last commits
        /// on power loss; about 1.8× the write rate (SYSLIBS.md).
        case normal = "NORMAL"
    }

    /// WAL frames (pages) after which the store copies the log back into the database.
    ///
    /// SQLite's own automatic checkpoint (same default threshold) runs inside the COMMIT
    /// that crosses it, so the events of that group waited for the database file's write
    /// and fsync (≈ 1.5–2 ms here) before their 202 and webhooks. The store instead runs
    /// the checkpoint as its queue's next work item, right after the write returned: the
    /// group that crossed the threshold is answered first, only what arrives during the
    /// checkpoint waits. At 1,000 events/s (three alternating pairs of 15,000 events) the
    /// end-to-end p99 went from 6.5 / 3.8 / 4.1 ms to 3.4 / 2.7 / 2.2 ms (Benchmarks/limits.md).
    /// Measured and not taken: 8,000 pages (fewer, longer checkpoints: a worse p99),
    /// and, with `.full`, a checkpoint on a second connection in the background (p50
    /// 0.6 → 1.1 ms: its database fsyncs slowed the commits' log fsyncs). With `.normal`
    /// commits flush nothing, and that is where checkpoints run (`BackgroundCheckpoint`).
    /// Counted in pages of 4 KiB: a file with larger pages (`newFilePageBytes`) copies its
    /// log back after the same number of bytes, so each checkpoint stays as long as measured.
    static let walCheckpointPages: Int32 = 1_000

    /// Page size of a file this code creates. An existing file keeps the size it was made
    /// with (SQLite sets it before the first table; WAL mode forbids changing it after).
    ///
    /// Why 8 KiB and not SQLite's 4 KiB: an audit record is ≈ 0.5 KB, a rule state ≈ 0.6 KB,
    /// and a page holds whole rows, so each 4 KiB page left ≈ 0.3–0.5 KB unused; 8 KiB pages
    /// lose that per page instead, half as often (issue #22, Benchmarks/limits.md).
    static let newFilePageBytes = 8_192

    /// The file name inside the state directory.
    public static let fileName = "herald.sqlite"

    /// The schema version this code writes (see `Migrations`).
    public static var latestSchemaVersion: Int { Migrations.latestVersion }

    /// The database file's location.
    public let fileURL: URL

    /// The one queue every connection use runs on (internal for the test hooks).
    let queue = DispatchQueue(label: "herald.store")
    /// Confined to `queue`.
    private let connection: SQLiteConnection
    private let metrics: MetricsRegistry?
    /// WAL frames that make the next queue item a checkpoint (`walCheckpointPages`;
    /// tests use fewer).
    let checkpointPages: Int32
    /// A checkpoint is queued and has not run yet. Confined to `queue`.
    private var checkpointQueued = false
    /// With `synchronous: .normal`, where checkpoints run instead of on `queue`
    /// (internal for the test hooks).
    private(set) var background: BackgroundCheckpoint?
    /// Where the next audit pruning step starts (see SQLiteStore+Retention.swift).
    /// Confined to `queue`.
    var auditPruneCursor: Int64 = 0
    /// What tests inject and count (SQLiteStore+TestHooks.swift); a stored property can only
    /// live here. Confined to `queue`.
    var probe = TestProbe()

    /// Opens (creating if needed) `directory/herald.sqlite` and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - directory: the state directory; created with mode 0700 when missing.
    ///   - synchronous: durability of each commit; `.full` unless told otherwise.
    ///   - metrics: when given, every failure counts in `herald_store_errors_total{code}`.
    public convenience init(directory: URL, synchronous: Synchronous = .full,
                            metrics: MetricsRegistry? = nil) throws(StoreError) {
        try self.init(directory: directory, synchronous: synchronous, metrics: metrics,
                      schemaVersion: Migrations.latestVersion, checkpointPages: nil)
    }

    /// Opens the store but migrates only up to `schemaVersion` and checkpoints the WAL
    /// every `checkpointPages` (nil: `walCheckpointPages` scaled to the file's page size);
    /// tests use it to build an old database and watch it migrate forward, or to reach a
    /// checkpoint with a few rows.
    init(directory: URL, synchronous: Synchronous, metrics: MetricsRegistry?,
         schemaVersion: Int, checkpointPages: Int32? = nil) throws(StoreError) {
        fileURL = directory.appendingPathComponent(SQLiteStore.fileName)
        self.metrics = metrics
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(code: .io, operation: "open",
                             message: "cannot create state directory \(directory.path): \(error.localizedDescription)")
        }
        let connection = try SQLiteConnection(path: fileURL.path)
        self.connection = connection
        try SQLiteStore.configure(connection, synchronous: synchronous)
        let pageBytes = try connection.firstRow("PRAGMA page_size", operation: "open") { $0.int(0) } ?? 4_096
        self.checkpointPages = checkpointPages ?? max(1, SQLiteStore.walCheckpointPages * 4_096 / Int32(max(pageBytes, 512)))
        let hasSchema = try connection.firstRow("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'",
                                                operation: "open") { $0.int(0) } ?? 0
        let before = hasSchema == 0 ? 0 : try Migrations.version(connection)
        try Migrations.migrate(connection, to: schemaVersion)
        try SQLiteStore.adoptIncrementalVacuum(connection, upgradedFrom: before, to: schemaVersion)
        // Start with an empty log: what the last run or the migrations left in it would
        // otherwise set the log file's size until the next checkpoint. Best effort: a
        // read-only file must still open, so the daemon can run and say 503 on /readyz.
        try? connection.executeScript("PRAGMA wal_checkpoint(TRUNCATE)", operation: "open")
        // Best effort: without the second connection checkpoints run on `queue` as with
        // `.full`. Nothing waits for a running one at close: the connections are
        // independent, and the last to close copies the log back.
        if synchronous == .normal {
            background = try? BackgroundCheckpoint(path: fileURL.path) { [weak self] result, finished in
                guard let self else { return finished() }
                backgroundCheckpointEnded(result, finished: finished)
            }
        }
    }

    /// Largest file the upgrade to schema 5 rewrites to turn on incremental vacuum: a
    /// VACUUM copies the whole file (≈ 10–30 s per GB here) and start-up waits for it.
    /// A larger file keeps working without it (pruned pages are reused, the file stops
    /// growing but does not shrink); docs/operations.md gives the one-off command.
    static let vacuumOnUpgradeMaxBytes: Int64 = 256 * 1024 * 1024

    /// `auto_vacuum = INCREMENTAL`, so pruned pages can go back to the file system in
    /// steps (`releaseFreeSpace`). SQLite takes the setting only on a file without tables
    /// or through a VACUUM: a new file gets it before its first table, a file upgraded
    /// from before schema 5 through one VACUUM when it is small enough.
    private static func adoptIncrementalVacuum(_ connection: SQLiteConnection, upgradedFrom before: Int,
                                               to after: Int) throws(StoreError) {
        let mode = try connection.firstRow("PRAGMA auto_vacuum", operation: "open") { $0.int(0) } ?? 0
        guard mode != 2, (1..<5).contains(before), after >= 5 else { return }
        let bytes = try connection.firstRow("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                                            operation: "open") { $0.int64(0) } ?? 0
        guard bytes <= vacuumOnUpgradeMaxBytes else { return }
        try connection.executeScript("PRAGMA auto_vacuum = INCREMENTAL; VACUUM", operation: "open")
    }

    /// WAL lets readers (API listings) proceed during a commit and turns each commit
    /// into one sequential append; foreign keys are on in case later migrations use them.
    private static func configure(_ connection: SQLiteConnection, synchronous: Synchronous) throws(StoreError) {
        // Both taken by a file without tables only, so before WAL mode writes the first
        // page; no-ops on an existing file (see `adoptIncrementalVacuum`, `newFilePageBytes`),
        // and not worth refusing to open a read-only one over.
        try? connection.executeScript("PRAGMA page_size = \(newFilePageBytes)", operation: "open")
        try? connection.executeScript("PRAGMA auto_vacuum = INCREMENTAL", operation: "open")
        let mode = try connection.firstRow("PRAGMA journal_mode = WAL", operation: "open") { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw StoreError(code: .io, operation: "open",
                             message: "the file system refused WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
        try connection.executeScript("""
            PRAGMA synchronous = \(synchronous.rawValue); PRAGMA foreign_keys = ON
            """, operation: "open")
        try connection.observeWAL()
    }

    // MARK: - Serialised access

    /// Runs `body` with the connection on the store queue; counts failures in the metrics.
    @discardableResult
    func perform<T>(_ operation: String,
                    _ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        dispatchPrecondition(condition: .notOnQueue(queue))
        let result: Result<T, StoreError> = queue.sync {
            defer { queueCheckpointIfDue() }
            do throws(StoreError) { return .success(try body(connection)) } catch { return .failure(error) }
        }
        if case .failure(let error) = result {
            StoreMetrics.countFailure(error.code, in: metrics)
        }
        return try result.get()
    }

    /// Runs `body` inside one write transaction on the store queue.
    func performTransaction<T>(_ operation: String,
                               _ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        try perform(operation) { (connection) throws(StoreError) in
            try connection.transaction(operation: operation) { () throws(StoreError) in try body(connection) }
        }
    }

    // MARK: - WAL checkpoints

    /// After a write that left `checkpointPages` or more in the WAL, queues the checkpoint
    /// behind it (see `walCheckpointPages` for why not inside the write).
    private func queueCheckpointIfDue() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard connection.walFrames >= checkpointPages else { return }
        if let background { return background.request() }
        guard !checkpointQueued else { return }
        checkpointQueued = true
        queue.async { [weak self] in self?.checkpointNow() }
    }

    /// Copies the WAL back (passive: readers are not waited for; what they still need is
    /// copied by a later checkpoint). A failure (disk full, I/O) is counted and retried
    /// after the next write that leaves the WAL over the threshold.
    private func checkpointNow() {
        dispatchPrecondition(condition: .onQueue(queue))
        checkpointQueued = false
        guard connection.walFrames >= checkpointPages else { return }
        let started = DispatchTime.now()
        do throws(StoreError) {
            try connection.checkpointWAL(operation: "checkpoint")
            probe.checkpoints += 1
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            metrics?.observe(StoreMetrics.checkpointSeconds, value: seconds, help: StoreMetrics.checkpointSecondsHelp)
        } catch {
            StoreMetrics.countFailure(error.code, in: metrics)
        }
    }

    /// Counts a checkpoint `background` ran (its duration) or its failure, then copies
    /// what was added to the log meanwhile, on the store queue, so the next write starts
    /// the log again (`BackgroundCheckpoint`); `finished` lets the next one start.
    private func backgroundCheckpointEnded(_ result: Result<Double, StoreError>, finished: @escaping @Sendable () -> Void) {
        if case .failure(let error) = result {
            StoreMetrics.countFailure(error.code, in: metrics)
            return finished()
        }
        queue.async { [self] in
            defer { finished() }
            let started = DispatchTime.now()
            do throws(StoreError) {
                try connection.checkpointWAL(operation: "checkpoint")
            } catch {
                StoreMetrics.countFailure(error.code, in: metrics)
            }
            probe.checkpoints += 1
            if case .success(let seconds) = result {
                let rest = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                metrics?.observe(StoreMetrics.checkpointSeconds, value: seconds + rest, help: StoreMetrics.checkpointSecondsHelp)
            }
        }
    }

    // MARK: - Health

    /// Cheap readiness probe for /readyz: rewrites one row in `write_probe`. False when
    /// the database cannot take a write now (read-only, full, I/O error, locked).
    public func checkWritable(now: Date) -> Bool {
        do {
            try perform("check writable") { (connection) throws(StoreError) in
                try connection.run("INSERT OR REPLACE INTO write_probe (id, at_ms) VALUES (1, ?)",
                                   [.integer(StoreTime.milliseconds(now))], operation: "check writable")
            }
            return true
        } catch {
            return false
        }
    }

    /// The schema version recorded in the file.
    public func schemaVersion() throws(StoreError) -> Int {
        try perform("read schema version") { (connection) throws(StoreError) in try Migrations.version(connection) }
    }
}
