import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// How memory is filled from the store at start (and after a failed commit): the rule
/// states are kept as their stored JSON and decoded on first use (`RuleStates`), so
/// readiness does not wait for 100,000 states to be parsed (issue #22: ≈ 95 % of a
/// restart was that). Once the instance runs, `settle` decodes the rest in slices on the
/// evaluation queue, between events, into the smaller packed form, and reports any row
/// it cannot read.
extension EvaluationLoop {
    /// States one `settle` slice decodes: ≈ 5 ms of the queue (≈ 5 µs a state: the
    /// restart's CPU before and after states were left undecoded), so an event waits
    /// about that long at most behind a slice.
    static let settleSliceStates = 1_000

    /// Loads rule states (undecoded) and recent event ids from the store.
    static func loadState(from store: any StateStore, config: HeraldConfig, now: Date) throws(StoreError) -> EvaluationState {
        let rules = lazyStates(try store.loadRuleStates())
        let since = now.addingTimeInterval(-config.server.idempotencyWindow.seconds)
        let seen = try store.loadSeenEvents(since: since)
        var seenEvents: [String: Date] = [:]
        seenEvents.reserveCapacity(seen.count)
        for record in seen where seenEvents[record.eventID] == nil { seenEvents[record.eventID] = record.seenAt }
        return EvaluationState(rules: rules, seenEvents: seenEvents)
    }

    /// Most distinct rule ids `lazyStates` shares; beyond it ids are kept as read.
    static let maxInternedRuleIDs = 10_000

    /// The rows as undecoded states, each with its revision and its row's timer. A rule
    /// id repeats in every state of its rule: one shared string each instead of one copy
    /// per subject.
    static func lazyStates(_ records: [RuleStateRecord]) -> RuleStates {
        // Sized once: growing a 100,000-entry table rehashed it ≈ 17 times (7 % of a
        // restart's CPU).
        var states = RuleStates()
        states.reserveCapacity(records.count)
        var shared: [String: String] = [:]
        for record in records {
            var ruleID = record.ruleID
            if let known = shared[ruleID] {
                ruleID = known
            } else if shared.count < maxInternedRuleIDs {
                shared[ruleID] = ruleID
            }
            states.insertStored(record.state, revision: record.revision, escalationDueAt: record.dueAt,
                                for: RuleStateKey(ruleID: ruleID, subjectID: record.subjectID))
        }
        return states
    }

    /// Decodes the states still held as stored JSON, `settleSliceStates` at a time, each
    /// slice queued behind the work already waiting; logs the rows it cannot read (each
    /// now a new state of its rule, replaced at its next write). Called once the
    /// instance runs, and after a full reload from the store.
    func settleStoredStates() {
        queue.async { [self] in settle(remaining: state.rules.storedKeys[...]) }
    }

    private func settle(remaining: ArraySlice<RuleStateKey>) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !remaining.isEmpty else { return }
        let slice = remaining.prefix(Self.settleSliceStates)
        for key in state.rules.settle(slice) {
            logger.warning("unreadable rule state for rule '\(key.ruleID)' subject '\(key.subjectID)', starting it afresh")
        }
        let rest = remaining.dropFirst(slice.count)
        if !rest.isEmpty { queue.async { [self] in settle(remaining: rest) } }
    }
}
