public import Foundation
public import HeraldStore

/// The SQL of one commit, named once (each is prepared once per connection).
enum CommitStatements {
    /// A new row (base 0): none is inserted when one exists (ON CONFLICT waits for a
    /// transaction inserting the same key), so no row changed means the base was stale.
    static let insertRuleState = """
        INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (rule_id, subject_id) DO NOTHING
        """
    /// The stored row, if its revision is still the base ($6): no row changed means the
    /// base was stale, or the row is gone (another instance deleted it).
    static let updateRuleState = """
        UPDATE rule_state SET state = $3, seq = $4, due_at_ms = $5, changed_xid = pg_current_xact_id()
        WHERE rule_id = $1 AND subject_id = $2 AND seq = $6
        """
    static let deleteRuleState = "DELETE FROM rule_state WHERE rule_id = $1 AND subject_id = $2 AND seq = $3"
}

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
    /// It goes to the server as two pipelines (`pipelinedWrite`): BEGIN, the schema
    /// guard, runs of rule-state rows (CommitRuleStates.swift) and the seen-id claim (one
    /// multi-row statement), whose answers are checked in the order the statements ran
    /// (the first stale row, else the first id already stored) — then the audit records,
    /// dead letters and deliveries (one multi-row statement each, CommitRows.swift) with
    /// COMMIT. A refused commit writes none of its rows.
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        let ruleStates = try RuleStateWrites(batches)
        let seen = try RuleStateWrites.seenEvents(batches, operation: "commit")
        typealias Plan = (checked: [CommitRuleStates.Queued], claim: Int?)
        try pipelinedWrite("commit", checked: { (pipeline) -> Plan in
            (CommitRuleStates.queue(ruleStates, on: &pipeline), CommitRows.queueSeenEvents(seen, on: &pipeline))
        }, check: { (plan, outcomes) throws(PostgresError) in
            if let row = try CommitRuleStates.firstStale(plan.checked, outcomes) {
                let stale = RuleStateWrites.conflict(row.key, stored: nil, based: row.base, operation: "commit")
                throw PostgresError(sqlState: nil, message: stale.message, operation: "commit", kind: .conflict)
            }
            if let claim = plan.claim, let stored = CommitRows.firstAlreadySeen(seen, try outcomes[claim].get()) {
                throw PostgresError(sqlState: nil, message: RuleStateWrites.alreadySeen(stored, operation: "commit").message,
                                    operation: "commit", kind: .conflict)
            }
        }, rows: { pipeline in
            CommitRows.queueRows(batches, on: &pipeline, claimedBy: instanceID, leaseMilliseconds: leaseMilliseconds)
        })
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
