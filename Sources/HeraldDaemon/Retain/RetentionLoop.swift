import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// Keeps the state file bounded: removes history past `store.retention`, gives the
/// freed pages back to the file system, and publishes the file's size, rows and oldest
/// record per table (issue #22).
///
/// Runs on its own queue, one pass per `passInterval`. A pass is many small store
/// calls (`StateStore.pruneHistory` steps of `stepRows` rows, `releaseFreeSpace` of
/// `vacuumPages` pages), each one short transaction on the store queue, so an ingest
/// commit waits behind one step at most and never behind a whole pass.
final class RetentionLoop: @unchecked Sendable {
    /// Rows per table per step: ≈ 1–3 ms of store time here, well inside the spread of
    /// one commit's flush.
    static let stepRows = 500
    /// Steps per pass: at 500 rows a step, 200,000 rows a minute, faster than any
    /// realistic notice rate; a backlog beyond it is worked off over several passes.
    static let maxStepsPerPass = 400
    /// Pages freed per `incremental_vacuum` call (2 MiB of 4 KiB pages), and most calls
    /// per pass (512 MiB).
    static let vacuumPages = 512
    static let maxVacuumCallsPerPass = 256
    /// Longest time between passes; shorter retentions get passes at a quarter of their
    /// length (never under `minimumPassInterval`), so a minute's retention is kept to
    /// within about a minute and a quarter.
    static let maxPassInterval: TimeInterval = 60
    static let minimumPassInterval: TimeInterval = 5

    let queue = DispatchQueue(label: "herald.retention")
    private let store: any StateStore
    private let holder: ConfigHolder
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private var timer: DispatchSourceTimer?

    init(store: any StateStore, holder: ConfigHolder, metrics: MetricsRegistry, logger: Logger,
         clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        metrics.describe(RetentionMetrics.bytes, type: .gauge, help: "Bytes of the state file (database and write-ahead log).")
        metrics.describe(RetentionMetrics.freeBytes, type: .gauge, help: "Bytes inside the state file not in use.")
        metrics.describe(RetentionMetrics.rows, type: .gauge, help: "Rows per store table.")
        metrics.describe(RetentionMetrics.oldestAge, type: .gauge, help: "Age of the oldest record per history table, in seconds.")
        metrics.describe(RetentionMetrics.pruned, type: .counter, help: "History rows removed by retention.")
    }

    /// Seconds between passes for the current config.
    static func passInterval(_ settings: StoreSettings) -> TimeInterval {
        let shortest = min(settings.auditRetention.seconds, settings.deliveryRetention.seconds)
        return min(maxPassInterval, max(minimumPassInterval, shortest / 4))
    }

    /// Starts passes; the first runs after one interval (start-up never waits for one).
    func start() {
        queue.async { [self] in schedule() }
    }

    func stop() {
        queue.sync { timer?.cancel() }
    }

    private func schedule() {
        let interval = Self.passInterval(holder.snapshot.config.store)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval)
        timer.setEventHandler { [weak self] in
            self?.runPass()
            self?.schedule()
        }
        timer.resume()
        self.timer = timer
    }

    /// Passes a maintenance lead covers: an instance that stops renewing it (several
    /// instances on one PostgreSQL database) hands retention to another within three passes.
    static let leadPasses: TimeInterval = 3

    /// One pass: prune, release free pages, publish figures — on the one instance that
    /// leads retention when several share the store. Failures are logged and the next
    /// pass tries again. Returns the rows removed (for tests).
    @discardableResult
    func runPass() -> Int {
        let settings = holder.snapshot.config.store
        do throws(StoreError) {
            guard try store.leadMaintenance("retention", for: Self.passInterval(settings) * Self.leadPasses) else { return 0 }
        } catch {
            logger.warning("cannot take the retention lead, will retry at the next pass",
                           ["error.code": error.code.rawValue, "error": error.message])
            return 0
        }
        let now = clock()
        let cutoffs = RetentionCutoffs(auditBefore: now.addingTimeInterval(-settings.auditRetention.seconds),
                                       deliveriesBefore: now.addingTimeInterval(-settings.deliveryRetention.seconds))
        var removed = 0
        do throws(StoreError) {
            for _ in 0..<Self.maxStepsPerPass {
                let step = try store.pruneHistory(cutoffs, limit: Self.stepRows)
                removed += step.removed
                guard step.more else { break }
            }
            for _ in 0..<Self.maxVacuumCallsPerPass where try store.releaseFreeSpace(maxPages: Self.vacuumPages) > 0 {}
            publish(try store.statistics(), now: now)
        } catch {
            logger.warning("retention pass failed, will retry at the next pass",
                           ["error.code": error.code.rawValue, "error": error.message, "removed": removed])
        }
        if removed > 0 { metrics.increment(RetentionMetrics.pruned, by: Double(removed)) }
        return removed
    }

    private func publish(_ statistics: StoreStatistics, now: Date) {
        metrics.set(RetentionMetrics.bytes, to: Double(statistics.fileBytes))
        metrics.set(RetentionMetrics.freeBytes, to: Double(statistics.freeBytes))
        for (table, rows) in statistics.rows { metrics.set(RetentionMetrics.rows, [("table", table)], to: Double(rows)) }
        for table in statistics.rows.keys where table != "rule_state" && table != "seen_event" {
            let age = statistics.oldest[table].map { max(0, now.timeIntervalSince($0)) } ?? 0
            metrics.set(RetentionMetrics.oldestAge, [("table", table)], to: age)
        }
    }
}

/// The retention metrics' names (docs/operations.md lists them).
enum RetentionMetrics {
    static let bytes = "herald_store_bytes"
    static let freeBytes = "herald_store_free_bytes"
    static let rows = "herald_store_rows"
    static let oldestAge = "herald_store_oldest_record_age_seconds"
    static let pruned = "herald_store_pruned_rows_total"
}
