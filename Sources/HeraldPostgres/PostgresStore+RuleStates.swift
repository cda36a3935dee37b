public import Foundation
public import HeraldStore

/// The columns a rule state is read with, in this order.
enum RuleStateColumns {
    static let names = "rule_id, subject_id, state, seq, due_at_ms"

    static func record(_ row: PostgresRow) -> RuleStateRecord {
        RuleStateRecord(ruleID: row.text(0), subjectID: row.text(1), state: row.bytes(2), revision: row.int64(3),
                        dueAt: row.isNull(4) ? nil : PostgresColumns.date(row, 4))
    }
}

/// Re-reading what another instance may have changed (issue #20): the rows a conflict
/// named, the timers due, the event ids already claimed.
extension PostgresStore {
    /// The stored rows of `keys` (absent ones left out), ordered by key (byte order).
    public func ruleStates(_ keys: [RuleStateRowKey]) throws(StoreError) -> [RuleStateRecord] {
        guard !keys.isEmpty else { return [] }
        let rules = PostgresColumns.jsonArray(keys.map(\.ruleID)), subjects = PostgresColumns.jsonArray(keys.map(\.subjectID))
        return try read("read rule states") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT \(RuleStateColumns.names) FROM rule_state
                WHERE (rule_id, subject_id) IN (
                    SELECT r, s FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS a(r, i)
                    JOIN jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS b(s, j) ON i = j)
                ORDER BY rule_id, subject_id
                """, [rules, subjects], operation: "read rule states", RuleStateColumns.record)
        }
    }

    /// Rule states whose escalation falls due at or before `before`, earliest first.
    public func dueRuleStates(before: Date, limit: Int) throws(StoreError) -> [RuleStateRecord] {
        try read("read due rule states") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT \(RuleStateColumns.names) FROM rule_state WHERE due_at_ms IS NOT NULL AND due_at_ms <= $1
                ORDER BY due_at_ms LIMIT $2
                """, [PostgresColumns.time(before), .integer(max(1, min(limit, StoreLimits.maxRuleStatesPerRead)))],
                operation: "read due rule states", RuleStateColumns.record)
        }
    }

    /// Which of `ids` are stored as seen (whatever their age), ordered by id.
    public func seenEvents(_ ids: [String]) throws(StoreError) -> [SeenEventRecord] {
        guard !ids.isEmpty else { return [] }
        return try read("read seen events") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT event_id, seen_at_ms FROM seen_event
                WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY event_id COLLATE "C"
                """, [PostgresColumns.jsonArray(ids)], operation: "read seen events") {
                SeenEventRecord(eventID: $0.text(0), seenAt: PostgresColumns.date($0, 1))
            }
        }
    }
}

/// Following the other instances' writes: every rule-state row records the transaction
/// that last wrote it (`changed_xid`, xid8). A reader asks for rows after its position in
/// (transaction, key) order, page by page. A transaction numbered below the position may
/// still be running when the reader moves past it, and commit its rows later: the reader
/// keeps those transactions (`pending`, from the snapshot's list of running ones) and
/// reads their rows by number once they have finished. Each read runs in one
/// REPEATABLE READ snapshot, so "finished" and "rows visible" agree. A long transaction
/// elsewhere (a backup) does not hold the feed back.
extension PostgresStore {
    public func ruleStateCursor() throws(StoreError) -> RuleStateCursor {
        try read("read rule state cursor") { (connection) throws(PostgresError) in
            // Everything below the oldest running transaction is visible to a load made
            // after this call; everything from it on comes through the feed.
            let oldest = try connection.firstRow("SELECT pg_snapshot_xmin(pg_current_snapshot())::text",
                                                 operation: "read rule state cursor") { $0.int64(0) } ?? 0
            // (oldest, "", ""): every row of that transaction and the later ones (keys are never empty).
            return RuleStateCursor(transaction: oldest)
        }
    }

    public func ruleStateChanges(after cursor: RuleStateCursor, limit: Int) throws(StoreError) -> RuleStateChanges {
        let limit = max(1, min(limit, StoreLimits.maxRuleStatesPerRead))
        return try mapped { () throws(PostgresError) in
            try pool.transaction(operation: "read rule state changes") { (connection) throws(PostgresError) in
                try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", operation: "read rule state changes")
                let running = try Self.runningTransactions(connection)
                var rows: [RuleStateRecord] = []
                if !cursor.pending.isEmpty {
                    rows += try connection.rows("""
                        SELECT \(RuleStateColumns.names) FROM rule_state
                        WHERE changed_xid IN (SELECT x::xid8 FROM unnest($1::text[]) AS u(x))
                        """, [PostgresArray.text(cursor.pending.map(String.init))], operation: "read rule state changes",
                        RuleStateColumns.record)
                }
                var position = cursor
                try connection.rows("""
                    SELECT \(RuleStateColumns.names), changed_xid::text FROM rule_state
                    WHERE (changed_xid, rule_id, subject_id) > ($1::text::xid8, $2::text, $3::text)
                    ORDER BY changed_xid, rule_id, subject_id LIMIT $4
                    """, [.integer(cursor.transaction), .text(cursor.ruleID), .text(cursor.subjectID), .integer(limit)],
                    operation: "read rule state changes") { row in
                    let record = RuleStateColumns.record(row)
                    rows.append(record)
                    position = RuleStateCursor(transaction: row.int64(5), ruleID: record.ruleID, subjectID: record.subjectID)
                }
                // Still running below the position: their rows may yet come. Finished ones
                // were read above, in this snapshot, and are dropped.
                position.pending = running.filter { $0 < position.transaction }.sorted()
                return RuleStateChanges(rows: rows, next: position)
            }
        }
    }

    /// The transactions running at this transaction's snapshot (`pg_snapshot_xip`).
    private static func runningTransactions(_ connection: PostgresConnection) throws(PostgresError) -> [Int64] {
        try connection.rows("SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x",
                            operation: "read rule state changes") { $0.int64(0) }
    }
}
