import Foundation
import HeraldSupport
import Testing
@testable import HeraldStore

/// The store copies the WAL back itself, after the write that crossed the threshold
/// (SQLite's automatic checkpoint is off, see `SQLiteStore.walCheckpointPages`).
struct CheckpointTests {
    /// Bytes of a WAL holding `frames` frames (32-byte header, 24-byte frame headers).
    private func walBytes(frames: Int, pageSize: Int = SQLiteStore.newFilePageBytes) -> Int { 32 + frames * (24 + pageSize) }

    private func walSize(_ directory: URL) -> Int {
        let path = directory.appendingPathComponent(SQLiteStore.fileName + "-wal").path
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// With `.full` the checkpoint runs on the store queue after the write that crossed
    /// the threshold; with `.normal` beside the commits on a second connection, then the
    /// store copies the rest so the log starts again (`BackgroundCheckpoint`). Here each
    /// commit waits for a running checkpoint to end, so either way the log must restart
    /// within one threshold of frames.
    @Test(arguments: [SQLiteStore.Synchronous.full, .normal])
    func theWALIsCopiedBackAndReusedInsteadOfGrowing(_ synchronous: SQLiteStore.Synchronous) throws {
        try withTemporaryDirectory { directory in
            let metrics = MetricsRegistry()
            do {
                let store = try SQLiteStore(directory: directory, synchronous: synchronous, metrics: metrics,
                                            schemaVersion: SQLiteStore.latestSchemaVersion, checkpointPages: 16)
                #expect((store.background != nil) == (synchronous == .normal))
                for index in 0..<300 {
                    try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e\(index)", seenAt: at(Double(index)))],
                                                 audit: [audit("n\(index)")]))
                    store.waitForCheckpoints()
                }
                // Without checkpoints 300 transactions of a few pages each would leave well
                // over 600 frames; with them the log restarts from its beginning after each copy.
                #expect(store.checkpointCount >= 300 * 2 / 16 / 2)
                #expect(walSize(directory) <= walBytes(frames: 16 + 16))
                #expect(metrics.exposition().contains("herald_store_checkpoint_seconds_count"))
                #expect(!metrics.exposition().contains("herald_store_errors_total"))
                #expect(try store.auditPage(limit: 500).items.count == 300)
            }
            // Nothing was lost by copying back: every row is there after reopening.
            let reopened = try SQLiteStore(directory: directory, synchronous: synchronous)
            #expect(try reopened.auditPage(limit: 500).items.count == 300)
        }
    }

    /// Commits go on while a checkpoint runs beside them, and the log stays bounded: at
    /// most one threshold plus what was committed during one checkpoint, not everything.
    @Test func besideTheCommitsTheLogStillStartsAgain() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil,
                                        schemaVersion: SQLiteStore.latestSchemaVersion, checkpointPages: 16)
            for index in 0..<2_000 {
                try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e\(index)", seenAt: at(Double(index)))]))
            }
            store.waitForCheckpoints()
            #expect(store.checkpointCount > 0)
            // 2,000 commits of one or two pages each: well over 2,000 frames without a restart.
            #expect(walSize(directory) < walBytes(frames: 1_000), "the log grew to \(walSize(directory)) bytes")
            #expect(try store.loadSeenEvents(since: .distantPast).count == 2_000)
        }
    }

    @Test func belowTheThresholdNothingIsCopied() throws {
        try withTemporaryDirectory { directory in
            let store = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil,
                                  schemaVersion: SQLiteStore.latestSchemaVersion, checkpointPages: 100_000)
            for index in 0..<50 {
                try store.commit(CommitBatch(audit: [audit("n\(index)")]))
            }
            #expect(store.checkpointCount == 0)
            #expect(walSize(directory) > walBytes(frames: 50))
        }
    }
}
