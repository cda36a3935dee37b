import Foundation
import HeraldCore
import HeraldStore

/// The periodic clean-up that keeps evaluation state bounded: event ids past the
/// idempotency window (or past `server.maxRememberedEventIds`), and the states of
/// (rule, subject) pairs that have been idle for `idleRuleStateRetention`. Runs on the
/// evaluation queue, so it never races an event.
extension EvaluationLoop {
    /// How long a rule state with no tier and no timer is kept after its last event:
    /// far beyond any ack link (24 h) and the default idempotency window (1 d), so only
    /// subjects that are gone for good are forgotten. A longer window wins.
    static let idleRuleStateRetention: TimeInterval = 30 * 86_400

    /// Prunes seen ids and idle rule states as of `now`, in memory and in the store.
    func prune(now: Date = Date()) {
        queue.async { [self] in
            pruneSeenEvents(now: now)
            dropIdleRuleStates(now: now)
        }
    }

    /// Forgets event ids older than the idempotency window, in memory and in the store.
    /// Past `server.maxRememberedEventIds` the oldest ids go too, earlier than the window
    /// says: memory stays bounded whatever the event rate, and the shortfall is counted
    /// and logged so an operator can raise the limit or shorten the window knowingly.
    private func pruneSeenEvents(now: Date) {
        dispatchPrecondition(condition: .onQueue(queue))
        let server = evaluator.config.server
        let cutoff = now.addingTimeInterval(-server.idempotencyWindow.seconds)
        let (applied, early) = state.pruneSeenEvents(before: cutoff, keepingAtMost: server.maxRememberedEventIds)
        if early > 0 {
            metrics.increment(DaemonMetrics.eventIDsForgottenEarly, by: Double(early),
                              help: "Event ids forgotten before the idempotency window ended, to stay within server.maxRememberedEventIds.")
            logger.warning("event ids forgotten before the idempotency window ended: more than server.maxRememberedEventIds arrived within it",
                           ["remembered": state.seenEvents.count, "window.seconds": Int(server.idempotencyWindow.seconds),
                            "effective.seconds": Int(now.timeIntervalSince(applied))])
        }
        metrics.set(DaemonMetrics.eventIDsRemembered, to: Double(state.seenEvents.count),
                    help: "Event ids remembered for de-duplication.")
        _ = try? store.pruneSeenEvents(before: applied)
    }

    /// Forgets states with no tier and no timer whose last event is older than the
    /// retention; their rows are deleted through the group committer, in order with
    /// every other write. A failed delete only leaves an idle row that the next start
    /// loads again. Holding a copy of the states while dropping costs one copy of the
    /// table per prune, and only when something is dropped.
    private func dropIdleRuleStates(now: Date) {
        dispatchPrecondition(condition: .onQueue(queue))
        let retention = max(Self.idleRuleStateRetention, evaluator.config.server.idempotencyWindow.seconds)
        let before = state.rules
        let idle = state.dropIdleRules(lastEventBefore: now.addingTimeInterval(-retention))
        if !idle.isEmpty {
            // A row another instance moved on since is not deleted: the commit conflicts and
            // the row is re-read into memory.
            commit(CommitBatch(ruleStateDeletes: plannedDeletes(idle, from: before)), now: now) { _ in }
            metrics.increment(DaemonMetrics.ruleStatesForgotten, by: Double(idle.count),
                              help: "Rule states forgotten after their subject was idle for 30 days (no tier, no timer).")
        }
        metrics.set(DaemonMetrics.ruleStates, to: Double(state.rules.count), help: "Rule states (rule, subject) kept in memory.")
    }
}
