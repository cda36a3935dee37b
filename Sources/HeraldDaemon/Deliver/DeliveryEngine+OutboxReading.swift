import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// Outbox reading: which due rows to read, how often, and for which targets. Runs on
/// the engine's queue.
extension DeliveryEngine {
    func poll() {
        polls += 1
        do {
            let skipped = targetsToSkip()
            // Before the read: a shared store claims (or renews) the rows it returns.
            let claimedAt = OutboxLeases.now()
            let due = try store.dueDeliveries(now: Date(), limit: Self.pollBatch, excludingTargets: skipped)
            // A full read may have left rows behind; a busy target's rows were not read at all.
            backlogged = skipped.subtracting(disabledTargets)
            if due.count == Self.pollBatch { backlogged.formUnion(due.compactMap { Destination(key: $0.target)?.target }) }
            leases?.renewed(due.lazy.map(\.deliveryID), at: claimedAt)
            for row in due { send(row, claimedAt: claimedAt) }
            if polls % 4 == 0 {
                metrics.set(DaemonMetrics.outboxDepth, to: Double(try store.outboxDepth()))
                publishBacklog()
            }
        } catch {
            logger.warning("cannot read the outbox, will retry", ["error.code": error.code.rawValue, "error": error.message])
        }
    }

    /// The per-target backlog gauges (`herald_target_backlog`, `…_full`) for every
    /// configured target.
    func publishBacklog() {
        let (counts, full) = backlog.snapshot()
        for target in holder.snapshot.config.targets.map(\.id) {
            metrics.set(DaemonMetrics.targetBacklog, [("target", target)], to: Double(counts[target, default: 0]),
                        help: "Deliveries waiting in the outbox per target.")
            metrics.set(DaemonMetrics.targetBacklogFull, [("target", target)], to: full.contains(target) ? 1 : 0,
                        help: "1 while the target's outbox backlog is at its maxBacklog and new deliveries become dead letters.")
        }
    }

    /// Targets whose rows the poll must not read: those disabled by 410 and those that
    /// already have their share of the read in flight. Their rows are due but cannot be
    /// sent now; read first (oldest first), a backlog of them would fill every poll and
    /// hide other targets' due retries for as long as it lasts. The store matches the
    /// target id of destination keys (`target@user:id`).
    func targetsToSkip() -> Set<String> {
        dispatchPrecondition(condition: .onQueue(queue))
        let share = pollShare
        return disabledTargets.union(inFlightPerTarget.filter { $0.value >= share }.keys)
    }

    /// Rows one target may have in flight and still be read by a poll: below it, the rows
    /// in flight of all targets together leave room in the read.
    var pollShare: Int { max(1, Self.pollBatch / (holder.snapshot.config.targets.count + 1)) }

    /// Polls at once when `target` is backlogged and has dropped below its share.
    func refillIfRoom(_ target: String) {
        guard !refillQueued, backlogged.contains(target), inFlightPerTarget[target, default: 0] < pollShare else { return }
        refillQueued = true
        queue.async { [self] in
            refillQueued = false
            poll()
        }
    }
}
