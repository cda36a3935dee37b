import Foundation

/// Everything one batch of evaluated events caused, to be made durable together:
/// the 202 for those events is sent only after this is committed.
public struct CommitBatch: Sendable {
    /// New or changed rule states, each based on the revision it carries.
    public var ruleStateUpserts: [RuleStateRecord]
    /// Rule states back to initial; applied after the upserts of the same batch.
    public var ruleStateDeletes: [RuleStateDeletion]
    /// Event ids accepted by this batch: claims, so an id already stored (accepted by
    /// this or another process) refuses the commit (`conflict`).
    public var seenEvents: [SeenEventRecord]
    /// Notifications decided; an existing `notificationID` is ignored (replay).
    public var audit: [AuditRecord]
    /// Deliveries to send; a duplicate `deliveryID` is a `constraint` error.
    public var outbox: [OutboxRecord]
    /// Deliveries kept as dead letters at once (their target's backlog was full); a
    /// duplicate `deliveryID` is a `constraint` error.
    public var deadLetters: [DeadLetterRecord] = []

    public init(ruleStateUpserts: [RuleStateRecord] = [], ruleStateDeletes: [RuleStateDeletion] = [],
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
    /// A new row (base 0); none is inserted when one exists: the base was stale.
    static let insertRuleState = """
        INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (rule_id, subject_id) DO NOTHING
        """
    /// The stored row if its revision is still the base (?6): no change means the base
    /// was stale or the row is gone.
    static let updateRuleState = """
        UPDATE rule_state SET state = ?3, seq = ?4, due_at_ms = ?5 WHERE rule_id = ?1 AND subject_id = ?2 AND seq = ?6
        """
    static let deleteRuleState = "DELETE FROM rule_state WHERE rule_id = ? AND subject_id = ? AND seq = ?"
    static let insertSeenEvent = "INSERT OR IGNORE INTO seen_event (event_id, seen_at_ms) VALUES (?, ?)"
    static let insertAudit = """
        INSERT OR IGNORE INTO audit (notification_id, rule_id, subject_id, transition, tier,
            created_at_ms, payload, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// Parameter values of `insertAudit`; `stored` is the payload in its stored form
    /// (`CompactJSON.encode(record.payload, known: record.notificationID)`, schema 7).
    static func auditValues(_ record: AuditRecord, stored: Data) -> [SQLiteValue] {
        [.text(record.notificationID), .text(record.ruleID), .text(record.subjectID), .text(record.transition), .text(record.tier),
         .integer(StoreTime.milliseconds(record.createdAt)), .blob(stored), .text(record.suppressed)]
    }
    static let insertDeadLetter = "INSERT INTO dead_letter (\(DeadLetterSQL.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let insertOutbox = "INSERT INTO outbox (\(OutboxSQL.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
}

extension SQLiteStore {
    /// Writes all `batches` in ONE transaction: either everything is durable or nothing
    /// is (on error the transaction is rolled back and the error rethrown). Rule states
    /// and event ids are checked as the contract says (`conflict`), although in one
    /// process (the state directory's lock) the evaluator's memory always matches them.
    public func commit(_ batches: [CommitBatch]) throws(StoreError) {
        let ruleStates = try RuleStateWrites(batches)
        let seen = try RuleStateWrites.seenEvents(batches, operation: "commit")
        // Encoded on the caller's thread, not on the store queue that API reads share.
        let payloads = batches.map { $0.audit.map { CompactJSON.encode($0.payload, known: $0.notificationID) } }
        try perform("commit") { (connection) throws(StoreError) in
            try connection.transaction(operation: "commit") { () throws(StoreError) in
                let statements = try CommitStatements(connection)
                try statements.write(ruleStates, seen, with: connection)
                for (batch, stored) in zip(batches, payloads) {
                    try statements.write(batch, payloads: stored, with: connection)
                }
                try probe.throwInjectedCommitFailure()
            }
            probe.committedTransactions += 1
        }
    }
}

/// The prepared statements of a commit, looked up once per transaction rather than per row.
private struct CommitStatements {
    let insertRuleState: SQLiteStatement
    let updateRuleState: SQLiteStatement
    let deleteRuleState: SQLiteStatement
    let insertSeenEvent: SQLiteStatement
    let insertAudit: SQLiteStatement

    init(_ connection: SQLiteConnection) throws(StoreError) {
        insertRuleState = try connection.statement(CommitSQL.insertRuleState, operation: "commit")
        updateRuleState = try connection.statement(CommitSQL.updateRuleState, operation: "commit")
        deleteRuleState = try connection.statement(CommitSQL.deleteRuleState, operation: "commit")
        insertSeenEvent = try connection.statement(CommitSQL.insertSeenEvent, operation: "commit")
        insertAudit = try connection.statement(CommitSQL.insertAudit, operation: "commit")
    }

    /// Writes the group's checked rows (rule states, then event ids) inside the caller's
    /// transaction; throws `conflict` at the first stale one.
    func write(_ ruleStates: RuleStateWrites, _ seen: [SeenEventRecord], with connection: SQLiteConnection) throws(StoreError) {
        for row in ruleStates.rows {
            let key = row.key
            if let state = row.final {
                let values: [SQLiteValue] = [.text(key.ruleID), .text(key.subjectID), .blob(state.state), .integer(state.revision),
                                             .integer(state.dueAt.map { StoreTime.milliseconds($0) })]
                let changed = row.base == 0
                    ? try connection.run(insertRuleState, values, operation: "commit rule state")
                    : try connection.run(updateRuleState, values + [.integer(row.base)], operation: "commit rule state")
                guard changed == 1 else { throw RuleStateWrites.conflict(key, stored: nil, based: row.base, operation: "commit") }
            } else if row.base > 0 {
                let changed = try connection.run(deleteRuleState, [.text(key.ruleID), .text(key.subjectID), .integer(row.base)],
                                                 operation: "commit rule state")
                guard changed == 1 else { throw RuleStateWrites.conflict(key, stored: nil, based: row.base, operation: "commit") }
            }
        }
        for record in seen {
            let claimed = try connection.run(insertSeenEvent, [.text(record.eventID), .integer(StoreTime.milliseconds(record.seenAt))],
                                             operation: "commit seen event")
            guard claimed == 1 else { throw RuleStateWrites.alreadySeen(record.eventID, operation: "commit") }
        }
    }

    /// Writes one batch's other rows inside the caller's transaction (`payloads`: its
    /// audit records' payloads as stored).
    func write(_ batch: CommitBatch, payloads: [Data], with connection: SQLiteConnection) throws(StoreError) {
        for (record, stored) in zip(batch.audit, payloads) {
            try connection.run(insertAudit, CommitSQL.auditValues(record, stored: stored), operation: "commit audit")
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
