public import Foundation
public import HeraldStore

/// The SQL of one commit, named once (each is prepared once per connection).
enum CommitStatements {
    /// A new row, or the stored one if its revision is still the base ($6; 0 matches no
    /// row, revisions start at 1). ON CONFLICT locks the existing row (waiting for a
    /// transaction that is writing it) before the check, so no row changes count: the
    /// base was stale.
    static let upsertRuleState = """
        INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (rule_id, subject_id) DO UPDATE SET state = excluded.state, seq = excluded.seq,
            due_at_ms = excluded.due_at_ms
        WHERE rule_state.seq = $6
        """
    static let deleteRuleState = "DELETE FROM rule_state WHERE rule_id = $1 AND subject_id = $2 AND seq = $3"
    /// The event id is the primary key: an id any instance stored is stored once, and a
    /// second claim finds it (no row inserted).
    static let insertSeenEvent = "INSERT INTO seen_event (event_id, seen_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    static let insertAudit = """
        INSERT INTO audit (notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notification_id) DO NOTHING
        """
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
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        let ruleStates = try RuleStateWrites(batches)
        let seen = try RuleStateWrites.seenEvents(batches, operation: "commit")
        try write("commit") { (connection) throws(PostgresError) in
            try writeChecked(ruleStates, seen, connection)
            for batch in batches { try writeRows(of: batch, connection) }
        }
    }

    /// The checked rows of a commit; throws `conflict` at the first stale one.
    private func writeChecked(_ ruleStates: RuleStateWrites, _ seen: [SeenEventRecord],
                              _ connection: PostgresConnection) throws(PostgresError) {
        for row in ruleStates.rows {
            let key = row.key
            let changed: Int
            if let state = row.final {
                changed = try connection.run(CommitStatements.upsertRuleState, [
                    .text(key.ruleID), .text(key.subjectID), .bytes(state.state), .integer(state.revision),
                    state.dueAt.map(PostgresColumns.time) ?? .null, .integer(row.base),
                ], operation: "commit rule state")
            } else if row.base > 0 {
                changed = try connection.run(CommitStatements.deleteRuleState,
                                             [.text(key.ruleID), .text(key.subjectID), .integer(row.base)],
                                             operation: "commit rule state")
            } else {
                continue
            }
            guard changed == 1 else {
                let stale = RuleStateWrites.conflict(key, stored: nil, based: row.base, operation: "commit")
                throw PostgresError(sqlState: nil, message: stale.message, operation: "commit", kind: .conflict)
            }
        }
        for record in seen {
            let claimed = try connection.run(CommitStatements.insertSeenEvent, [.text(record.eventID), PostgresColumns.time(record.seenAt)],
                                             operation: "commit seen event")
            guard claimed == 1 else {
                throw PostgresError(sqlState: nil, message: RuleStateWrites.alreadySeen(record.eventID, operation: "commit").message,
                                    operation: "commit", kind: .conflict)
            }
        }
    }

    /// Audit records, dead letters and deliveries of one batch. Deliveries are
    /// claimed by this instance as they are written: the daemon hands them to its own
    /// sender right after the commit, so no other instance may take them meanwhile.
    private func writeRows(of batch: CommitBatch, _ connection: PostgresConnection) throws(PostgresError) {
        for record in batch.audit {
            try connection.run(CommitStatements.insertAudit, [
                .text(record.notificationID), .text(record.ruleID), .text(record.subjectID), .text(record.transition),
                .text(record.tier), PostgresColumns.time(record.createdAt), .bytes(record.payload), .text(record.suppressed),
            ], operation: "commit audit")
        }
        for dead in batch.deadLetters {
            try connection.run(DeadLetterColumns.insert, DeadLetterColumns.values(dead), operation: "commit dead letter")
        }
        for delivery in batch.outbox {
            try connection.run(OutboxColumns.insertClaimed, OutboxColumns.values(delivery) + [.text(instanceID), .integer(leaseMilliseconds)],
                               operation: "commit outbox")
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
