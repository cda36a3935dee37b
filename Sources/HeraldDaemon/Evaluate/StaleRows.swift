import Foundation
import HeraldCore
import HeraldStore

/// The rule states and event ids that failed commits had changed in memory: memory is
/// ahead of (or, after a `conflict`, beside) the store for exactly these until they are
/// re-read. Filled on the committer's queue as failures complete, taken on the
/// evaluation queue by the re-read; guarded by its own lock.
final class StaleRows: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: Set<RuleStateKey> = []
    private var eventIDs: Set<String> = []

    /// Remembers what `batch` had changed in memory.
    func note(_ batch: CommitBatch) {
        lock.withLock {
            for upsert in batch.ruleStateUpserts { keys.insert(RuleStateKey(ruleID: upsert.ruleID, subjectID: upsert.subjectID)) }
            for deletion in batch.ruleStateDeletes { keys.insert(RuleStateKey(ruleID: deletion.ruleID, subjectID: deletion.subjectID)) }
            for seen in batch.seenEvents { eventIDs.insert(seen.eventID) }
        }
    }

    /// Everything noted so far, forgotten here.
    func take() -> (keys: Set<RuleStateKey>, eventIDs: Set<String>) {
        lock.withLock {
            defer {
                keys = []
                eventIDs = []
            }
            return (keys, eventIDs)
        }
    }

    /// Puts back what a re-read could not finish (the store failed meanwhile).
    func restore(_ taken: (keys: Set<RuleStateKey>, eventIDs: Set<String>)) {
        lock.withLock {
            keys.formUnion(taken.keys)
            eventIDs.formUnion(taken.eventIDs)
        }
    }
}
