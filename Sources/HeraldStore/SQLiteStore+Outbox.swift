public import Foundation

/// Shared SQL fragments for outbox rows.
enum OutboxSQL {
    static let columns = """
        delivery_id, notification_id, target, body, created_at_ms, next_attempt_at_ms,
        attempts, last_status, last_error
        """

    /// Parameter values in `columns` order.
    static func values(_ delivery: OutboxRecord) -> [SQLiteValue] {
        [.text(delivery.deliveryID), .text(delivery.notificationID), .text(delivery.target), .blob(delivery.body),
         .integer(StoreTime.milliseconds(delivery.createdAt)), .integer(StoreTime.milliseconds(delivery.nextAttemptAt)),
         .integer(Int64(delivery.attempts)), .integer(delivery.lastStatus), .text(delivery.lastError)]
    }

    /// Reads a row selected with `columns` first.
    static func record(_ row: SQLiteRow) -> OutboxRecord {
        OutboxRecord(deliveryID: row.text(0), notificationID: row.text(1), target: row.text(2), body: row.blob(3),
                     createdAt: row.date(4), nextAttemptAt: row.date(5), attempts: row.int(6),
                     lastStatus: row.optionalInt(7), lastError: row.optionalText(8))
    }
}

extension SQLiteStore {
    /// Deliveries due at `now` (next attempt at or before it), earliest first, skipping
    /// targets the sender is already saturating. `limit` is clamped to `1...StoreLimits.maxDeliveriesPerFetch`.
    /// A row's `target` may be a destination key (`target@user:id`); exclusion matches
    /// the target id before the '@', so a saturated target's rows cannot crowd others out.
    public func dueDeliveries(now: Date, limit: Int,
                              excludingTargets: Set<String>) throws(StoreError) -> [OutboxRecord] {
        let excluded = String(decoding: (try? JSONEncoder().encode(excludingTargets.sorted())) ?? Data("[]".utf8),
                              as: UTF8.self)
        return try perform("list due deliveries") { (connection) throws(StoreError) in
            try connection.rows("""
                SELECT \(OutboxSQL.columns) FROM outbox
                WHERE next_attempt_at_ms <= ?
                  AND substr(target, 1, instr(target || '@', '@') - 1) NOT IN (SELECT value FROM json_each(?))
                ORDER BY next_attempt_at_ms, id LIMIT ?
                """, [.integer(StoreTime.milliseconds(now)), .text(excluded), .integer(Int64(SQLiteStore.clampedFetch(limit)))],
                operation: "list due deliveries", OutboxSQL.record)
        }
    }

    /// All waiting deliveries, due or not, earliest first: what a restarted daemon
    /// resumes. `limit` is clamped to `1...StoreLimits.maxDeliveriesPerFetch`.
    public func pendingDeliveries(limit: Int) throws(StoreError) -> [OutboxRecord] {
        try perform("list pending deliveries") { (connection) throws(StoreError) in
            try connection.rows("SELECT \(OutboxSQL.columns) FROM outbox ORDER BY next_attempt_at_ms, id LIMIT ?",
                                [.integer(Int64(SQLiteStore.clampedFetch(limit)))],
                                operation: "list pending deliveries", OutboxSQL.record)
        }
    }

    /// Records a failed attempt and when to try next. Returns false if the delivery is
    /// no longer in the outbox (delivered or dead-lettered meanwhile).
    @discardableResult
    public func recordAttempt(deliveryID: String, attempts: Int, nextAttemptAt: Date,
                              lastStatus: Int?, lastError: String?) throws(StoreError) -> Bool {
        try perform("record delivery attempt") { (connection) throws(StoreError) in
            try connection.run("""
                UPDATE outbox SET attempts = ?, next_attempt_at_ms = ?, last_status = ?, last_error = ?
                WHERE delivery_id = ?
                """, [.integer(Int64(attempts)), .integer(StoreTime.milliseconds(nextAttemptAt)),
                      .integer(lastStatus), .text(lastError), .text(deliveryID)],
                operation: "record delivery attempt") == 1
        }
    }

    /// Removes delivered deliveries from the outbox and keeps their outcomes in the
    /// history, all in one transaction: one fsync for a whole burst of 2xx answers
    /// instead of one per webhook. The successful attempt is counted here (stored
    /// attempts + 1): callers record only the attempts that will be retried. Returns how
    /// many were still in the outbox.
    @discardableResult
    public func markDelivered(_ deliveries: [DeliveredRecord]) throws(StoreError) -> Int {
        try performTransaction("mark delivered") { (connection) throws(StoreError) in
            var marked = 0
            for item in deliveries {
                guard let delivery = try SQLiteStore.outboxRecord(item.deliveryID, connection) else { continue }
                try SQLiteStore.recordOutcome(.delivered, delivery, attempts: delivery.attempts + 1, status: item.status,
                                        error: nil, at: item.at, connection)
                try SQLiteStore.deleteFromOutbox(item.deliveryID, connection)
                marked += 1
            }
            return marked
        }
    }

    /// Number of deliveries waiting in the outbox (the `herald_outbox_depth` gauge).
    public func outboxDepth() throws(StoreError) -> Int {
        try perform("count outbox") { (connection) throws(StoreError) in
            try connection.firstRow("SELECT count(*) FROM outbox", operation: "count outbox") { $0.int(0) } ?? 0
        }
    }

    // MARK: - Shared steps (run inside a transaction on the store queue)

    static func clampedFetch(_ limit: Int) -> Int { min(max(limit, 1), StoreLimits.maxDeliveriesPerFetch) }

    static func outboxRecord(_ deliveryID: String, _ connection: SQLiteConnection) throws(StoreError) -> OutboxRecord? {
        try connection.firstRow("SELECT \(OutboxSQL.columns) FROM outbox WHERE delivery_id = ?",
                                [.text(deliveryID)], operation: "read outbox", OutboxSQL.record)
    }

    static func deleteFromOutbox(_ deliveryID: String, _ connection: SQLiteConnection) throws(StoreError) {
        try connection.run("DELETE FROM outbox WHERE delivery_id = ?", [.text(deliveryID)], operation: "delete outbox")
    }

    static func recordOutcome(_ outcome: DeliveryOutcomeRecord.Outcome, _ delivery: OutboxRecord, attempts: Int,
                              status: Int?, error: String?, at: Date,
                              _ connection: SQLiteConnection) throws(StoreError) {
        try connection.run("""
            INSERT INTO delivery_outcome (delivery_id, notification_id, target, outcome, attempts, status, error, at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(delivery.deliveryID), .text(delivery.notificationID), .text(delivery.target),
                  .text(outcome.rawValue), .integer(Int64(attempts)), .integer(status), .text(error),
                  .integer(StoreTime.milliseconds(at))], operation: "record delivery outcome")
    }
}
