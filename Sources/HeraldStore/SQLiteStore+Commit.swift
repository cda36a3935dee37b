/// Everything one batch of evaluated events caused, to be made durable together:
/// the 202 for those events is sent only after this is committed.
public struct CommitBatch: Sendable {
    /// New or changed rule states (insert or replace by key).
    public var ruleStateUpserts: [RuleStateRecord]
    /// Rule states back to initial; applied after the upserts of the same batch.
    public var ruleStateDeletes: [RuleStateRowKey]
    /// Event ids accepted by this batch; an id already present keeps its first time.
    public var seenEvents: [SeenEventRecord]
    /// Notifications decided; an existing `notificationID` is ignored (replay).
    public var audit: [AuditRecord]
    /// Deliveries to send; a duplicate `deliveryID` is a `constraint` error.
    public var outbox: [OutboxRecord]
    /// Deliveries kept as dead letters at once (their target's backlog was full); a
    /// duplicate `deliveryID` is a `constraint` error.
    public var deadLetters: [DeadLetterRecord] = []

    public init(ruleStateUpserts: [RuleStateRecord] = [], ruleStateDeletes: [RuleStateRowKey] = [],
                seenEvents: [SeenEventRecord] = [], audit: [AuditRecord] = [], outbox: [OutboxRecord] = []) {
        self.ruleStateUpserts = ruleStateUpserts
        self.ruleStateDeletes = ruleStateDeletes
        self.seenEvents = seenEvents
        self.audit = audit
        self.outbox = outbox
    }

    /// Rows this batch writes; lets callers and metrics see the work in a transaction.
    public var rowCount: Int {
        ruleStateUpserts.count + ruleStateDeletes.count + seenEvents.count + audit.count + outbox.count + deadLetters.count
    }
}

/// The SQL of one commit, named once so every statement is prepared once and reused.
enum CommitSQL {
    static let upsertRuleState = """
        INSERT INTO rule_state (rule_id, subject_id, state) VALUES (?, ?, ?)
        ON CONFLICT (rule_id, subject_id) DO UPDATE SET state = excluded.state
        """
    static let deleteRuleState = "DELETE FROM rule_state WHERE rule_id = ? AND subject_id = ?"
    static let insertSeenEvent = "INSERT OR IGNORE INTO seen_event (event_id, seen_at_ms) VALUES (?, ?)"
    static let insertAudit = """
        INSERT OR IGNORE INTO audit (notification_id, rule_id, subject_id, transition, tier,
            created_at_ms, payload, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertDeadLetter = "INSERT INTO dead_letter (\(DeadLetterSQL.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let insertOutbox = "INSERT INTO outbox (\(OutboxSQL.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
}

extension SQLiteStore {
    /// Writes all `batches` in ONE transaction: either everything is durable or nothing
    /// is (on error the transaction is rolled back and the error rethrown).
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        try perform("commit") { (connection) throws(StoreError) in
            try connection.transaction(operation: "commit") { () throws(StoreError) in
                let statements = try CommitStatements(connection)
                for batch in batches {
                    try statements.write(batch, with: connection)
                }
                try probe.throwInjectedCommitFailure()
            }
            probe.committedTransactions += 1
        }
    }
}

/// The prepared statements of a commit, looked up once per transaction rather than per row.
private struct CommitStatements {
    let upsertRuleState: SQLiteStatement
    let deleteRuleState: SQLiteStatement
    let insertSeenEvent: SQLiteStatement
    let insertAudit: SQLiteStatement

    init(_ connection: SQLiteConnection) throws(StoreError) {
        upsertRuleState = try connection.statement(CommitSQL.upsertRuleState, operation: "commit")
        deleteRuleState = try connection.statement(CommitSQL.deleteRuleState, operation: "commit")
        insertSeenEvent = try connection.statement(CommitSQL.insertSeenEvent, operation: "commit")
        insertAudit = try connection.statement(CommitSQL.insertAudit, operation: "commit")
    }

    /// Writes one batch inside the caller's transaction.
    func write(_ batch: CommitBatch, with connection: SQLiteConnection) throws(StoreError) {
        for state in batch.ruleStateUpserts {
            try connection.run(upsertRuleState, [.text(state.ruleID), .text(state.subjectID), .blob(state.state)],
                               operation: "commit rule state")
        }
        for key in batch.ruleStateDeletes {
            try connection.run(deleteRuleState, [.text(key.ruleID), .text(key.subjectID)],
                               operation: "commit rule state")
        }
        for seen in batch.seenEvents {
            try connection.run(insertSeenEvent, [.text(seen.eventID), .integer(StoreTime.milliseconds(seen.seenAt))],
                               operation: "commit seen event")
        }
        for record in batch.audit {
            try connection.run(insertAudit, [
                .text(record.notificationID), .text(record.ruleID), .text(record.subjectID),
                .text(record.transition), .text(record.tier), .integer(StoreTime.milliseconds(record.createdAt)),
                .blob(record.payload), .text(record.suppressed),
            ], operation: "commit audit")
        }
        if !batch.deadLetters.isEmpty {
            let insertDeadLetter = try connection.statement(CommitSQL.insertDeadLetter, operation: "commit")
            for dead in batch.deadLetters {
                try connection.run(insertDeadLetter, DeadLetterSQL.values(dead), operation: "commit dead letter")
            }
        }
        guard !batch.outbox.isEmpty else { return }
        // Looked up only when needed (from the connection's cache), so a batch without
        // deliveries still commits to a file whose outbox has an older shape (migration tests).
        let insertOutbox = try connection.statement(CommitSQL.insertOutbox, operation: "commit")
        for delivery in batch.outbox {
            try connection.run(insertOutbox, OutboxSQL.values(delivery), operation: "commit outbox")
        }
    }
}
