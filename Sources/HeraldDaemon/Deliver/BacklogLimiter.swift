import Foundation
import HeraldCore
import HeraldStore

/// Deliveries waiting in the outbox per target, against each target's `maxBacklog`
/// (issue #22): a target that is down must not grow the outbox without bound.
///
/// The evaluation loop asks `admit` for every new outbox row; past the limit the row is
/// committed as a dead letter with reason `backlog_full` instead (visible, counted,
/// re-queueable). The delivery engine calls `release` when a row leaves the outbox. The
/// counts start from the store (`StateStore.outboxDepthByTarget`) and are kept in memory
/// after that, so admitting a row costs a lock and a dictionary update, not a query.
final class BacklogLimiter: @unchecked Sendable {
    private let lock = NSLock()
    /// Target id → rows in the outbox (committed or about to be).
    private var counts: [String: Int] = [:]
    /// Targets that refused a row since they last had room.
    private var full: Set<String> = []

    /// Replaces the counts with the store's (at start-up, and after the evaluation
    /// state is re-read from the store).
    func seed(_ depths: [String: Int]) {
        lock.withLock {
            counts = depths
            full = []
        }
    }

    /// Takes a place for one row to `target`; false when it already has `limit` rows.
    /// `becameFull` is true on the first refusal since the target last had room (the
    /// moment to log).
    func admit(target: String, limit: Int) -> (admitted: Bool, becameFull: Bool) {
        lock.withLock {
            let count = counts[target, default: 0]
            guard count >= limit else {
                counts[target] = count + 1
                return (true, false)
            }
            return (false, full.insert(target).inserted)
        }
    }

    /// Gives back places: rows that left the outbox, or were never committed.
    func release(target: String, count: Int = 1) {
        lock.withLock {
            let left = max(0, counts[target, default: 0] - count)
            counts[target] = left == 0 ? nil : left
            full.remove(target)
        }
    }

    /// Rows per target, and which targets are refusing rows now.
    func snapshot() -> (counts: [String: Int], full: Set<String>) {
        lock.withLock { (counts, full) }
    }
}

extension OutboxRecord {
    /// The target id of the row's destination key (`target@user:id` → `target`).
    var targetID: String { Destination(key: target)?.target ?? target }
}

extension DeadLetterRecord {
    /// A delivery refused at commit because its target's backlog was full: a dead letter
    /// from the start, with no attempt made.
    static func backlogFull(_ row: OutboxRecord, limit: Int, at now: Date) -> DeadLetterRecord {
        DeadLetterRecord(deliveryID: row.deliveryID, notificationID: row.notificationID, target: row.target,
                         body: row.body, recipients: row.recipients, createdAt: row.createdAt, attempts: 0,
                         lastStatus: nil,
                         lastError: "backlog_full: target '\(row.targetID)' already had \(limit) deliveries waiting (maxBacklog)",
                         responseExcerpt: nil, deadAt: now)
    }
}
