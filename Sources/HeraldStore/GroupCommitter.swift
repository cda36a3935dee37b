public import Dispatch
import Foundation
public import HeraldSupport

/// Group commit for the ingest pipeline: many events' batches share one transaction, so
/// one fsync covers them all (1 row/txn with FULL is ~6.5k/s; 100 rows/txn ~0.28M rows/s).
/// The same grouping serves SCIM provisioning (`GroupWriter<ScimChangeRecord>` writing
/// with `StateStore.saveScimChanges`).
public typealias GroupCommitter = GroupWriter<CommitBatch>

extension GroupWriter where Item == CommitBatch {
    /// The ingest committer: batches written with `StateStore.commit`, measured as
    /// `herald_commit_batch_size` and `herald_commit_seconds`.
    public convenience init(store: any StateStore, metrics: MetricsRegistry, maxBatches: Int = defaultMaxBatches,
                            maxDelay: DispatchTimeInterval = defaultMaxDelay, maxPending: Int = defaultMaxPending,
                            latchFailures: Bool = false, idleCommit: Bool = true) {
        self.init(metrics: metrics, names: .events, maxBatches: maxBatches, maxDelay: maxDelay, maxPending: maxPending,
                  latchFailures: latchFailures, idleCommit: idleCommit) { (batches) throws(StoreError) in try store.commit(batches) }
    }
}

/// The histograms a `GroupWriter` fills: items per transaction and transaction time.
public struct GroupCommitMetricNames: Sendable {
    public var batchSize: String
    public var batchSizeHelp: String
    public var seconds: String
    public var secondsHelp: String

    public init(batchSize: String, batchSizeHelp: String, seconds: String, secondsHelp: String) {
        self.batchSize = batchSize
        self.batchSizeHelp = batchSizeHelp
        self.seconds = seconds
        self.secondsHelp = secondsHelp
    }

    /// The ingest committer's.
    public static let events = GroupCommitMetricNames(batchSize: StoreMetrics.commitBatchSize, batchSizeHelp: StoreMetrics.commitBatchSizeHelp,
                                           seconds: StoreMetrics.commitSeconds, secondsHelp: StoreMetrics.commitSecondsHelp)
}

/// Group commit of any kind of write: items submitted while a transaction is being
/// written wait for it and share the next one, so one fsync covers them all.
///
/// `submit` may be called from any thread. Items wait until either `maxBatches` are
/// waiting or the oldest has waited `maxDelay`; then the writer queue writes them with
/// `write` in one transaction and calls every completion with that transaction's
/// result. A caller answers only from a successful completion. When more than
/// `maxPending` items are waiting or being written, `submit` refuses at once with
/// `overloaded` so the caller answers 429/503 instead of growing a queue.
public final class GroupWriter<Item: Sendable>: @unchecked Sendable {
    /// Called once per submitted batch, on the committer's queue, after its transaction
    /// ended. Keep it short (hop elsewhere for slow work): the next group waits for it.
    public typealias Completion = @Sendable (Result<Void, StoreError>) -> Void
    /// Writes one group in ONE transaction (all or nothing), in submission order.
    public typealias Write = @Sendable ([Item]) throws(StoreError) -> Void

    /// Most batches in one transaction: ~512 events × a few rows keeps a transaction
    /// in the low milliseconds while amortising the fsync almost completely.
    public static var defaultMaxBatches: Int { 512 }
    /// Longest a lone batch waits for company: an ingest answer costs at most this much
    /// extra latency, short against a client's timeout, long enough to gather a burst.
    public static var defaultMaxDelay: DispatchTimeInterval { .milliseconds(2) }
    /// Most batches waiting or in flight before `submit` refuses: 16 full transactions,
    /// i.e. roughly what the disk commits in tens of milliseconds; more only adds latency.
    public static var defaultMaxPending: Int { 16 * defaultMaxBatches }
    /// Histogram buckets for batches per transaction: powers of two up to 1024.
    public static var batchSizeBuckets: [Double] { (0...10).map { Double(1 << $0) } }

    private struct Waiting {
        let batch: Item
        let completion: Completion
        let since: DispatchTime
    }

    private let write: Write
    private let metrics: MetricsRegistry
    private let names: GroupCommitMetricNames
    public let maxBatches: Int
    public let maxDelay: DispatchTimeInterval
    public let maxPending: Int
    private let writer: DispatchQueue

    private let lock = NSLock()
    // Guarded by `lock`:
    private var waiting: [Waiting] = []
    private var inFlight = 0
    private var timerArmed = false
    private var transactions = 0
    /// With `latchFailures`, the first failed commit; every later batch fails with it,
    /// uncommitted, until `reset()`.
    private var latched: StoreError?
    private let latchFailures: Bool
    /// Commit a lone batch as soon as the writer is free (true: the daemon, where
    /// waiting only adds latency) or only after `maxDelay` (tests that build groups).
    private let idleCommit: Bool

    /// - Parameters:
    ///   - metrics: receives the `names` histograms and
    ///     `herald_store_errors_total{code="overloaded"}`; write failures themselves are
    ///     counted by the store when it was given the same registry.
    ///   - label: the writer queue's name (for stack traces).
    public init(metrics: MetricsRegistry, names: GroupCommitMetricNames, label: String = "herald.store.group-commit",
                maxBatches: Int = defaultMaxBatches, maxDelay: DispatchTimeInterval = defaultMaxDelay,
                maxPending: Int = defaultMaxPending, latchFailures: Bool = false, idleCommit: Bool = true,
                write: @escaping Write) {
        self.idleCommit = idleCommit
        self.latchFailures = latchFailures
        precondition(maxBatches >= 1 && maxPending >= maxBatches, "maxPending must hold at least one full group")
        self.write = write
        self.metrics = metrics
        self.names = names
        self.maxBatches = maxBatches
        self.maxDelay = maxDelay
        self.maxPending = maxPending
        self.writer = DispatchQueue(label: label)
        metrics.describe(names.batchSize, type: .histogram, help: names.batchSizeHelp)
        metrics.describe(names.seconds, type: .histogram, help: names.secondsHelp)
        metrics.describe(StoreMetrics.errors, type: .counter, help: StoreMetrics.errorsHelp)
    }

    /// Queues `batch` for the next group transaction; `completion` is called after it.
    /// Throws `overloaded` (and never calls `completion`) when `maxPending` batches are
    /// already waiting or being written.
    public func submit(_ batch: Item, completion: @escaping Completion) throws(StoreError) {
        lock.lock()
        guard waiting.count + inFlight < maxPending else {
            lock.unlock()
            StoreMetrics.countFailure(.overloaded, in: metrics)
            throw StoreError(code: .overloaded, operation: "submit",
                             message: "\(maxPending) batches are already waiting to be committed")
        }
        waiting.append(Waiting(batch: batch, completion: completion, since: .now()))
        let count = waiting.count
        let armTimer = !timerArmed && count < maxBatches
        if armTimer { timerArmed = true }
        lock.unlock()
        if count == maxBatches {
            writer.async { self.drain() }
        } else if armTimer {
            // Commit as soon as the writer is free: a lone batch does not wait for company
            // (that only added up to `maxDelay` to every answer at low load); batches that
            // arrive while a transaction is being written wait for it and share the next.
            if idleCommit {
                writer.async { self.timerFired() }
            } else {
                writer.asyncAfter(deadline: .now() + maxDelay) { self.timerFired() }
            }
        }
    }

    /// Commits everything submitted so far and returns when all completions have run.
    /// For shutdown; must not be called from a completion.
    public func flush() {
        dispatchPrecondition(condition: .notOnQueue(writer))
        writer.sync {
            while commitNextGroup() {}
        }
    }

    /// Batches waiting or being written right now.
    /// Clears a latched failure: the caller has re-read its state from the store, so
    /// batches evaluated from now on no longer build on effects that were never written.
    public func reset() {
        lock.withLock { latched = nil }
    }

    /// The latched failure, if any.
    public var latchedFailure: StoreError? { lock.withLock { latched } }

    public var pendingCount: Int { lock.withLock { waiting.count + inFlight } }

    /// Transactions this committer has run (successful or not): with many concurrent
    /// submitters it is far smaller than the number of batches.
    public var transactionCount: Int { lock.withLock { transactions } }

    // MARK: - Writer queue

    private func timerFired() {
        lock.withLock { timerArmed = false }
        drain()
    }

    /// Commits one group, then keeps going while a full group or an expired batch waits;
    /// otherwise makes sure a timer will come back for what is left.
    private func drain() {
        dispatchPrecondition(condition: .onQueue(writer))
        guard commitNextGroup() else { return }
        while true {
            lock.lock()
            let count = waiting.count
            let oldest = waiting.first?.since
            let expired = oldest.map { $0 + maxDelay <= .now() } ?? false
            let armTimer = count > 0 && !expired && count < maxBatches && !timerArmed
            if armTimer { timerArmed = true }
            lock.unlock()
            if count >= maxBatches || expired {
                commitNextGroup()
                continue
            }
            if armTimer, let oldest {
                writer.asyncAfter(deadline: oldest + maxDelay) { self.timerFired() }
            }
            return
        }
    }

    /// Takes up to `maxBatches` waiting batches, commits them in one transaction and
    /// completes them all with its result. False when nothing was waiting.
    @discardableResult
    private func commitNextGroup() -> Bool {
        dispatchPrecondition(condition: .onQueue(writer))
        let group: [Waiting] = lock.withLock {
            let taken = Array(waiting.prefix(maxBatches))
            waiting.removeFirst(taken.count)
            inFlight = taken.count
            return taken
        }
        guard !group.isEmpty else { return false }
        // Batches behind a failed one may build on its unwritten effects (an evaluator
        // keeps state in memory): with the latch they fail too until the caller resets.
        if let latched = lock.withLock({ latched }) {
            lock.withLock { inFlight = 0 }
            for entry in group { entry.completion(.failure(latched)) }
            return true
        }
        let started = DispatchTime.now()
        let result: Result<Void, StoreError>
        do throws(StoreError) {
            try write(group.map(\.batch))
            result = .success(())
        } catch {
            result = .failure(error)
            if latchFailures { lock.withLock { latched = error } }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        metrics.observe(names.batchSize, value: Double(group.count), buckets: Self.batchSizeBuckets)
        metrics.observe(names.seconds, value: seconds)
        // Counted before the completions run, so a caller woken by one sees the count.
        lock.withLock {
            inFlight = 0
            transactions += 1
        }
        for entry in group { entry.completion(result) }
        return true
    }
}
