public import Foundation
public import HeraldStore

extension PostgresStore {
    /// Writes all `batches` in ONE transaction: all of it is durable, or none of it.
    ///
    /// Rule states first, as their net result over the batches (`RuleStateWrites`), each
    /// checked against the revision it was based on and locked in key order, so two
    /// instances committing overlapping subjects wait for each other instead of
    /// deadlocking, and the second finds the first's revision and fails with `conflict`.
    /// Then the event ids, claimed in id order: one another instance stored is a
    /// `conflict` too. Only then the rows those decisions caused.
    ///
    /// It goes to the server as one pipeline, one round trip (`pipelinedWrite`): BEGIN,
    /// the schema guard, runs of rule-state rows (CommitRuleStates.swift) and the seen-id
    /// claim (one multi-row statement), each raising a conflict on the server where its
    /// base is stale (the first stale row, else the first id already stored) — then the
    /// keys written for the feed, the audit records, dead letters and deliveries (one
    /// multi-row statement each, CommitRows.swift) and COMMIT. A refused commit writes
    /// none of its rows: the server skips everything after the statement that raised.
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        let ruleStates = try RuleStateWrites(batches)
        let seen = try RuleStateWrites.seenEvents(batches, operation: "commit")
        try pipelinedWrite("commit") { pipeline in
            CommitRuleStates.queue(ruleStates, on: &pipeline)
            CommitRows.queueSeenEvents(seen, on: &pipeline)
            CommitRuleStates.queueLog(ruleStates, writer: instanceID, on: &pipeline)
            CommitRows.queueRows(batches, on: &pipeline, claimedBy: instanceID, leaseMilliseconds: leaseMilliseconds)
        }
    }

    // MARK: - Start-up state

    /// Every stored rule state, ordered by rule id then subject id (byte order).
    public func loadRuleStates() throws(StoreError) -> [RuleStateRecord] {
        try read("load rule states") { (connection) throws(PostgresError) in
            try connection.rows("SELECT \(RuleStateColumns.names) FROM rule_state ORDER BY rule_id, subject_id",
                                operation: "load rule states", RuleStateColumns.record)
        }
    }

    /// Event ids seen at or after `since`, oldest first (ties by id, so the order is stable).
    public func loadSeenEvents(since: Date) throws(StoreError) -> [SeenEventRecord] {
        try read("load seen events") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT event_id, seen_at_ms FROM seen_event WHERE seen_at_ms >= $1 ORDER BY seen_at_ms, event_id COLLATE "C"
                """, [PostgresColumns.time(since)], operation: "load seen events") {
                SeenEventRecord(eventID: $0.text(0), seenAt: PostgresColumns.date($0, 1))
            }
        }
    }

    @discardableResult
    public func pruneSeenEvents(before: Date) throws(StoreError) -> Int {
        try write("prune seen events") { (connection) throws(PostgresError) in
            try connection.run("DELETE FROM seen_event WHERE seen_at_ms < $1", [PostgresColumns.time(before)],
                               operation: "prune seen events")
        }
    }
}
