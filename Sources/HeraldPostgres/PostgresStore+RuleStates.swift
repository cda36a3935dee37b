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
/// that last wrote it (`changed_xid`, xid8). A reader asks for rows at or after its
/// cursor in (transaction, key) order and moves the cursor on — but never past the
/// oldest transaction still running when it read (`pg_snapshot_xmin`): such a
/// transaction may commit rows numbered below the last row seen, and they must not be
/// skipped. While a long transaction holds that point back some rows are read again;
/// readers keep a row only when its revision is newer, so that costs reads, not
/// correctness.
extension PostgresStore {
    public func ruleStateCursor() throws(StoreError) -> RuleStateCursor {
        try read("read rule state cursor") { (connection) throws(PostgresError) in
            let oldest = try connection.firstRow("SELECT pg_snapshot_xmin(pg_current_snapshot())::text",
                                                 operation: "read rule state cursor") { $0.int64(0) } ?? 0
            return RuleStateCursor(transaction: oldest)
        }
    }

    public func ruleStateChanges(after cursor: RuleStateCursor, limit: Int) throws(StoreError) -> RuleStateChanges {
        let limit = max(1, min(limit, StoreLimits.maxRuleStatesPerRead))
        return try read("read rule state changes") { (connection) throws(PostgresError) in
            var oldest: Int64 = cursor.transaction
            var rows: [RuleStateRecord] = []
            var last = cursor
            // One statement, one snapshot: the rows and the oldest running transaction agree.
            try connection.rows("""
                SELECT s.x::text, r.rule_id, r.subject_id, r.state, r.seq, r.due_at_ms, r.changed_xid::text
                FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x) s
                LEFT JOIN LATERAL (
                    SELECT rule_id, subject_id, state, seq, due_at_ms, changed_xid FROM rule_state
                    WHERE (changed_xid, rule_id, subject_id) > ($1::text::xid8, $2::text, $3::text)
                    ORDER BY changed_xid, rule_id, subject_id LIMIT $4) r ON true
                """, [.integer(cursor.transaction), .text(cursor.ruleID), .text(cursor.subjectID), .integer(limit)],
                operation: "read rule state changes") { row in
                oldest = row.int64(0)
                guard !row.isNull(1) else { return }
                rows.append(RuleStateRecord(ruleID: row.text(1), subjectID: row.text(2), state: row.bytes(3), revision: row.int64(4),
                                            dueAt: row.isNull(5) ? nil : PostgresColumns.date(row, 5)))
                last = RuleStateCursor(transaction: row.int64(6), ruleID: row.text(1), subjectID: row.text(2))
            }
            // A full page goes on after its last row, unless that lies past the oldest
            // running transaction; otherwise the next read starts at that transaction.
            let next = rows.count == limit && last.transaction < oldest ? last : RuleStateCursor(transaction: max(oldest, cursor.transaction))
            return RuleStateChanges(rows: rows, next: next)
        }
    }
}
