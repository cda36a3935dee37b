public import Foundation
public import HeraldStore

/// The SQL of one commit, named once (each is prepared once per connection).
enum CommitStatements {
    static let upsertRuleState = """
        INSERT INTO rule_state (rule_id, subject_id, state) VALUES ($1, $2, $3)
        ON CONFLICT (rule_id, subject_id) DO UPDATE SET state = excluded.state
        """
    static let deleteRuleState = "DELETE FROM rule_state WHERE rule_id = $1 AND subject_id = $2"
    /// The event id is the primary key: an id any instance stored is stored once.
    static let insertSeenEvent = "INSERT INTO seen_event (event_id, seen_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    static let insertAudit = """
        INSERT INTO audit (notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (notification_id) DO NOTHING
        """
}

extension PostgresStore {
    /// Writes all `batches` in ONE transaction: all of it is durable, or none of it.
    ///
    /// Rule states are written as their net result over the batches (a later batch wins,
    /// a batch's deletes after its upserts) in one fixed order by key, so two instances
    /// committing overlapping subjects take the row locks in the same order and cannot
    /// deadlock each other.
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        try write("commit") { (connection) throws(PostgresError) in
            for (key, state) in Self.netRuleStates(batches) {
                if let state {
                    try connection.run(CommitStatements.upsertRuleState, [.text(key.ruleID), .text(key.subjectID), .bytes(state)],
                                       operation: "commit rule state")
                } else {
                    try connection.run(CommitStatements.deleteRuleState, [.text(key.ruleID), .text(key.subjectID)],
                                       operation: "commit rule state")
                }
            }
            for batch in batches { try writeRows(of: batch, connection) }
        }
    }

    /// Each touched key's final state over `batches` in order (nil: deleted), sorted by
    /// key: the order rows are locked in.
    static func netRuleStates(_ batches: [CommitBatch]) -> [(key: RuleStateRowKey, state: Data?)] {
        var final: [RuleStateRowKey: Data?] = [:]
        for batch in batches {
            for upsert in batch.ruleStateUpserts { final[upsert.key] = .some(upsert.state) }
            for key in batch.ruleStateDeletes { final[key] = .some(nil) }
        }
        return final.map { (key: $0.key, state: $0.value) }
            .sorted { ($0.key.ruleID, $0.key.subjectID) < ($1.key.ruleID, $1.key.subjectID) }
    }

    /// Seen ids, audit records, dead letters and deliveries of one batch. Deliveries are
    /// claimed by this instance as they are written: the daemon hands them to its own
    /// sender right after the commit, so no other instance may take them meanwhile.
    private func writeRows(of batch: CommitBatch, _ connection: PostgresConnection) throws(PostgresError) {
        for seen in batch.seenEvents {
            try connection.run(CommitStatements.insertSeenEvent, [.text(seen.eventID), PostgresColumns.time(seen.seenAt)],
                               operation: "commit seen event")
        }
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
            try connection.rows("SELECT rule_id, subject_id, state FROM rule_state ORDER BY rule_id, subject_id",
                                operation: "load rule states") {
                RuleStateRecord(ruleID: $0.text(0), subjectID: $0.text(1), state: $0.bytes(2))
            }
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
