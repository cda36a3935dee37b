import Foundation
import HeraldCore
import HeraldStore

/// Memory is a cache of the store's rule states; the row decides (issue #20).
///
/// Every state write carries the revision memory based it on, and memory moves to the
/// revision the commit will store as soon as the write is planned (later events build on
/// it). When another process wrote the row since, or already accepted one of the events,
/// the commit fails with `conflict` and writes nothing; every batch evaluated on top of
/// it fails with it (the committer's latch). The next piece of work on the queue then
/// re-reads exactly the rows and event ids those failed batches had changed in memory
/// (`refreshStale`), and each failed request is evaluated again, in order, against
/// what the store holds — bounded by `maxConflictAttempts`.
extension EvaluationLoop {
    /// Evaluations of one request before it is refused (503): each attempt re-reads the
    /// rows it conflicted on, so only rows that keep changing under it (many instances
    /// writing one subject at once) use them up.
    static let maxConflictAttempts = 8

    /// The rows of `keys` as they stand in memory, each based on the revision memory
    /// holds; memory then holds the revision the commit will store.
    func plannedWrites(_ keys: some Sequence<RuleStateKey>) -> [RuleStateRecord] {
        dispatchPrecondition(condition: .onQueue(queue))
        var writes: [RuleStateRecord] = []
        for key in keys {
            guard let current = state.rules[key] else { continue }
            writes.append(planner.stateRecord(key, current))
            state.rules.setRevision(current.revision + 1, of: key)
        }
        return writes
    }

    /// `plannedWrites` of states just written to memory, given as they were written (so
    /// none is decoded again); each is based on the revision memory holds.
    func plannedWrites(states: [RuleStateKey: RuleState]) -> [RuleStateRecord] {
        dispatchPrecondition(condition: .onQueue(queue))
        var writes: [RuleStateRecord] = []
        writes.reserveCapacity(states.count)
        for (key, written) in states {
            guard let revision = state.rules.revision(of: key) else { continue }
            var current = written
            current.revision = revision
            writes.append(planner.stateRecord(key, current))
            state.rules.setRevision(revision + 1, of: key)
        }
        return writes
    }

    /// Deletes of states memory just dropped, each based on the revision it had.
    func plannedDeletes(_ dropped: [RuleStateKey], from before: RuleStates) -> [RuleStateDeletion] {
        dropped.compactMap { key in
            before.revision(of: key).map { RuleStateDeletion(ruleID: key.ruleID, subjectID: key.subjectID, revision: $0) }
        }
    }

    /// Whether a failed commit may be evaluated again: it conflicted (directly, or
    /// because a batch before it did) and attempts are left.
    func mayRetry(_ error: StoreError, attempt: Int) -> Bool {
        error.code == .conflict && attempt < Self.maxConflictAttempts
    }

    /// Re-reads the rule states and event ids failed commits had changed in memory, so
    /// memory holds what the store holds for each of them. Throws when the store cannot
    /// answer (what was not re-read is kept for the next try).
    func refreshStale() throws(StoreError) {
        dispatchPrecondition(condition: .onQueue(queue))
        let stale = staleRows.take()
        do throws(StoreError) {
            try reread(Array(stale.keys))
            let stored = try store.seenEvents(Array(stale.eventIDs))
            for id in stale.eventIDs { state.seenEvents[id] = nil }
            for record in stored { state.seenEvents[record.eventID] = record.seenAt }
        } catch {
            staleRows.restore(stale)
            throw error
        }
    }

    /// Replaces memory's states of `keys` with the stored rows (absent rows: no state).
    func reread(_ keys: [RuleStateKey]) throws(StoreError) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !keys.isEmpty else { return }
        let rows = try store.ruleStates(keys.map { RuleStateRowKey(ruleID: $0.ruleID, subjectID: $0.subjectID) })
        let stored = decode(rows)
        for key in keys { state.rules[key] = stored[key] }
    }

    /// Takes rows another process may have written into memory where they are newer than
    /// what memory holds (a higher revision, or a state memory lacks).
    func merge(_ rows: [RuleStateRecord]) {
        dispatchPrecondition(condition: .onQueue(queue))
        let newer = rows.filter { row in
            (state.rules.revision(of: RuleStateKey(ruleID: row.ruleID, subjectID: row.subjectID)) ?? 0) < row.revision
        }
        for (key, value) in decode(newer) { state.rules[key] = value }
    }

    /// Stored rows as states; an unreadable row becomes a fresh state of its rule at the
    /// row's revision (the next write replaces it) and is reported.
    func decode(_ rows: [RuleStateRecord]) -> [RuleStateKey: RuleState] {
        let config = evaluator.config
        return CommitPlanner.decodeStates(rows, fresh: { CommitPlanner.freshState(for: $0, config: config) },
                                          logger: { logger.warning($0) })
    }
}
