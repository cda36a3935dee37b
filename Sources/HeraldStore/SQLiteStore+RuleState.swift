extension SQLiteStore {
    /// Every stored rule state, for rebuilding the evaluator's memory at startup.
    /// Written only through `commit`, together with the events that changed it.
    public func loadRuleStates() throws(StoreError) -> [RuleStateRecord] {
        try perform("load rule states") { (connection) throws(StoreError) in
            try connection.rows("SELECT rule_id, subject_id, state FROM rule_state ORDER BY rule_id, subject_id",
                                operation: "load rule states") { row in
                RuleStateRecord(ruleID: row.text(0), subjectID: row.text(1), state: row.blob(2))
            }
        }
    }
}
