import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore

/// Per-target backlog limits at commit time (issue #22): a new delivery to a target that
/// already has `maxBacklog` rows waiting is committed as a dead letter with reason
/// `backlog_full`, at once and visibly, instead of growing the outbox. Runs on the
/// evaluation queue.
extension EvaluationLoop {
    /// Adds `rows` to the batch's outbox, or to its dead letters past their target's limit.
    func admit(_ rows: [OutboxRecord], into batch: inout CommitBatch, now: Date) {
        dispatchPrecondition(condition: .onQueue(queue))
        for row in rows {
            let target = row.targetID
            let limit = evaluator.config.targets.first { $0.id == target }?.maxBacklog ?? TargetDefinition.defaultMaxBacklog
            let (admitted, becameFull) = backlog.admit(target: target, limit: limit)
            if admitted {
                batch.outbox.append(row)
                continue
            }
            batch.deadLetters.append(.backlogFull(row, limit: limit, at: now))
            metrics.increment(DaemonMetrics.deadLetters, [("target", target), ("reason", FailureReason.backlogFull.rawValue)])
            metrics.set(DaemonMetrics.targetBacklogFull, [("target", target)], to: 1,
                        help: "1 while the target's outbox backlog is at its maxBacklog and new deliveries become dead letters.")
            if becameFull {
                logger.warning("target backlog full: new deliveries become dead letters until it drains",
                               ["target": target, "max.backlog": limit, "failure.reason": FailureReason.backlogFull.rawValue])
            }
        }
    }

    /// Gives back the places a batch took when it was not committed.
    func releaseBacklog(of batch: CommitBatch) {
        for row in batch.outbox { backlog.release(target: row.targetID) }
    }
}
