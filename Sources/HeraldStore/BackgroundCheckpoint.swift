import Dispatch
import Foundation

/// WAL checkpoints on a connection and queue of their own, beside the commits, for a
/// store opened with `synchronous: .normal`.
///
/// Why only there: with `.full` every commit flushes the log, and a checkpoint beside it
/// made those flushes wait behind the database file's (end-to-end p50 0.6 → 1.1 ms;
/// `SQLiteStore.walCheckpointPages`), so that store checkpoints on its own queue between
/// commits. With `.normal` a commit flushes nothing, so nothing waits for the
/// checkpoint's flushes — but on the store queue every commit that arrived during a
/// checkpoint (≈ 1.5–2 ms) waited for all of it, which was that mode's end-to-end tail
/// (Benchmarks/limits.md, issue #21). A passive checkpoint never blocks the writer.
///
/// The log only starts again from its beginning when a write begins after a checkpoint
/// that copied all of it, and one beside the commits never knows it did; so the store
/// copies what was committed meanwhile — a few pages — on its own queue afterwards. The
/// log then stays within the threshold plus what is committed during one checkpoint
/// (`CheckpointTests`).
final class BackgroundCheckpoint: @unchecked Sendable {
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "herald.store.checkpoint", qos: .utility)
    private let lock = NSLock()
    /// A checkpoint is queued, running, or being finished. Guarded by `lock`.
    private var busy = false
    private let completed: @Sendable (Result<Double, StoreError>, _ finished: @escaping @Sendable () -> Void) -> Void

    /// Opens the second connection to `path` (the store's file, already in WAL mode).
    /// `completed` gets each checkpoint's duration in seconds, or its failure, on the
    /// checkpoint queue, and a closure to call once the store has copied the rest: no
    /// other checkpoint starts before (two at once would refuse each other with `busy`).
    init(path: String,
         completed: @escaping @Sendable (Result<Double, StoreError>, _ finished: @escaping @Sendable () -> Void) -> Void) throws(StoreError) {
        connection = try SQLiteConnection(path: path)
        // NORMAL: the log is flushed before it is copied, the database after.
        try connection.executeScript("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0", operation: "open")
        self.completed = completed
    }

    /// Starts a checkpoint unless one is queued or running (the next request after it
    /// ends starts another if the log is still over the threshold).
    func request() {
        let start = lock.withLock {
            defer { busy = true }
            return !busy
        }
        guard start else { return }
        queue.async { [self] in
            let started = DispatchTime.now()
            let result: Result<Double, StoreError>
            do throws(StoreError) {
                try connection.checkpointWAL(operation: "checkpoint")
                result = .success(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
            } catch {
                result = .failure(error)
            }
            completed(result) { [self] in lock.withLock { busy = false } }
        }
    }

    /// Whether a checkpoint is queued, running or being finished.
    var isBusy: Bool { lock.withLock { busy } }
}
