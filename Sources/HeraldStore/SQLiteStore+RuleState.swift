public import Foundation

/// The columns a rule state is read with, in this order (`ruleState(_:)`).
enum RuleStateSQL {
    static let columns = "rule_id, subject_id, state, seq, due_at_ms"

    static func record(_ row: SQLiteRow) -> RuleStateRecord {
        RuleStateRecord(ruleID: row.text(0), subjectID: row.text(1), state: row.blob(2), revision: row.int64(3),
                        dueAt: row.isNull(4) ? nil : row.date(4))
    }
}

extension SQLiteStore {
    /// Every stored rule state, for rebuilding the evaluator's memory at startup.
    /// Written only through `commit`, together with the events that changed it.
    public func loadRuleStates() throws(StoreError) -> [RuleStateRecord] {
        try perform("load rule states") { (connection) throws(StoreError) in
            try connection.rows("SELECT \(RuleStateSQL.columns) FROM rule_state ORDER BY rule_id, subject_id",
                                operation: "load rule states", RuleStateSQL.record)
        }
    }

    /// The stored rows of `keys` (absent ones left out), ordered by key.
    public func ruleStates(_ keys: [RuleStateRowKey]) throws(StoreError) -> [RuleStateRecord] {
        try perform("read rule states") { (connection) throws(StoreError) in
            var found: [RuleStateRecord] = []
            for key in Set(keys) {
                if let record = try connection.firstRow("SELECT \(RuleStateSQL.columns) FROM rule_state WHERE rule_id = ? AND subject_id = ?",
                                                        [.text(key.ruleID), .text(key.subjectID)], operation: "read rule states",
                                                        RuleStateSQL.record) {
                    found.append(record)
                }
            }
            return found.sorted { ($0.ruleID, $0.subjectID) < ($1.ruleID, $1.subjectID) }
        }
    }

    /// Rule states whose escalation falls due at or before `before`, earliest first.
    public func dueRuleStates(before: Date, limit: Int) throws(StoreError) -> [RuleStateRecord] {
        try perform("read due rule states") { (connection) throws(StoreError) in
            try connection.rows("""
                SELECT \(RuleStateSQL.columns) FROM rule_state WHERE due_at_ms IS NOT NULL AND due_at_ms <= ?
                ORDER BY due_at_ms LIMIT ?
                """, [.integer(StoreTime.milliseconds(before)), .integer(Int64(max(1, min(limit, StoreLimits.maxRuleStatesPerRead))))],
                operation: "read due rule states", RuleStateSQL.record)
        }
    }

    /// Which of `ids` are stored as seen (whatever their age), with their first time.
    public func seenEvents(_ ids: [String]) throws(StoreError) -> [SeenEventRecord] {
        try perform("read seen events") { (connection) throws(StoreError) in
            var found: [SeenEventRecord] = []
            for id in Set(ids) {
                if let record = try connection.firstRow("SELECT event_id, seen_at_ms FROM seen_event WHERE event_id = ?",
                                                        [.text(id)], operation: "read seen events",
                                                        { SeenEventRecord(eventID: $0.text(0), seenAt: $0.date(1)) }) {
                    found.append(record)
                }
            }
            return found.sorted { $0.eventID < $1.eventID }
        }
    }
}
