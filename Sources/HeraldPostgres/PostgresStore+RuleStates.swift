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
