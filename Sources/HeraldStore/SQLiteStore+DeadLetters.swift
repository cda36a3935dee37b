public import Foundation
import HeraldSupport

extension SQLiteStore {
    /// Moves a delivery that gave up from the outbox to the dead letters, keeping the
    /// first `SharedLimits.responseExcerptBytes` of the target's last response. The final
    /// attempt is counted here (stored attempts + 1). Returns false if it was not in the outbox.
    @discardableResult
    public func moveToDeadLetter(deliveryID: String, status: Int?, error: String,
                                 responseExcerpt: Data?, at: Date) throws(StoreError) -> Bool {
        let excerpt = responseExcerpt.map { Data($0.prefix(SharedLimits.responseExcerptBytes)) }
        return try performTransaction("dead-letter delivery") { (connection) throws(StoreError) in
            guard let delivery = try SQLiteStore.outboxRecord(deliveryID, connection) else { return false }
            let attempts = delivery.attempts + 1
            try connection.run("""
                INSERT INTO dead_letter (delivery_id, notification_id, target, body, recipients, created_at_ms, attempts,
                    last_status, last_error, response_excerpt, dead_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(deliveryID), .text(delivery.notificationID), .text(delivery.target), .blob(delivery.body),
                      .text(RecipientsColumn.text(delivery.recipients)), .integer(StoreTime.milliseconds(delivery.createdAt)), .integer(Int64(attempts)),
                      .integer(status), .text(error), .blob(excerpt), .integer(StoreTime.milliseconds(at))],
                operation: "dead-letter delivery")
            try SQLiteStore.recordOutcome(.deadLettered, delivery, attempts: attempts, status: status, error: error,
                                    at: at, connection)
            try SQLiteStore.deleteFromOutbox(deliveryID, connection)
            return true
        }
    }

    /// One page of dead letters, NEWEST FIRST. `limit` is clamped to `1...StoreLimits.maxPageSize`;
    /// pass the previous page's `next` as `after`.
    public func deadLetters(limit: Int, after cursor: Int64?) throws(StoreError) -> StorePage<DeadLetterEntry> {
        let pageSize = SQLiteStore.clampedPageSize(limit)
        let rows = try perform("list dead letters") { (connection) throws(StoreError) in
            let rows = try connection.rows("""
                SELECT id, \(DeadLetterSQL.columns) FROM dead_letter WHERE id < ? ORDER BY id DESC LIMIT ?
                """, [.integer(cursor ?? Int64.max), .integer(Int64(pageSize + 1))], operation: "list dead letters") {
                DeadLetterEntry(cursor: $0.int64(0), record: DeadLetterSQL.record($0, from: 1))
            }
            return try NoticeReader.attach(rows, connection, operation: "list dead letters", body: \.record.body,
                                           id: \.record.notificationID, notice: \.record.notice)
        }
        return SQLiteStore.page(rows, size: pageSize, cursor: \.cursor)
    }

    /// Puts a dead letter back in the outbox, due at `now`, with its attempts reset and
    /// the same delivery id (so receivers still de-duplicate). False if there is no such
    /// dead letter.
    @discardableResult
    public func requeueDeadLetter(deliveryID: String, now: Date) throws(StoreError) -> Bool {
        try performTransaction("requeue dead letter") { (connection) throws(StoreError) in
            try Self.requeueDeadLetter(deliveryID: deliveryID, now: now, connection)
        }
    }

    /// `requeueDeadLetter` inside the caller's transaction.
    static func requeueDeadLetter(deliveryID: String, now: Date, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        guard let dead = try connection.firstRow(
            "SELECT \(DeadLetterSQL.columns) FROM dead_letter WHERE delivery_id = ?", [.text(deliveryID)],
            operation: "requeue dead letter", { DeadLetterSQL.record($0, from: 0) }) else { return false }
        let delivery = OutboxRecord(deliveryID: dead.deliveryID, notificationID: dead.notificationID,
                                    target: dead.target, body: dead.body, recipients: dead.recipients,
                                    createdAt: dead.createdAt, nextAttemptAt: now)
        try connection.run("INSERT INTO outbox (\(OutboxSQL.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           OutboxSQL.values(delivery), operation: "requeue dead letter")
        try connection.run("DELETE FROM dead_letter WHERE delivery_id = ?", [.text(deliveryID)],
                           operation: "requeue dead letter")
        try SQLiteStore.recordOutcome(.requeued, delivery, attempts: dead.attempts, status: dead.lastStatus,
                                      error: dead.lastError, at: now, connection)
        return true
    }
}

/// Shared SQL for dead-letter rows.
enum DeadLetterSQL {
    static let columns = """
        delivery_id, notification_id, target, body, recipients, created_at_ms, attempts, last_status, last_error,
        response_excerpt, dead_at_ms
        """

    /// Parameter values in `columns` order.
    static func values(_ dead: DeadLetterRecord) -> [SQLiteValue] {
        [.text(dead.deliveryID), .text(dead.notificationID), .text(dead.target), .blob(dead.body),
         .text(RecipientsColumn.text(dead.recipients)), .integer(StoreTime.milliseconds(dead.createdAt)),
         .integer(Int64(dead.attempts)), .integer(dead.lastStatus), .text(dead.lastError), .blob(dead.responseExcerpt),
         .integer(StoreTime.milliseconds(dead.deadAt))]
    }

    /// Reads a row selected with `columns` starting at column `first`; no notice.
    static func record(_ row: SQLiteRow, from first: Int32) -> DeadLetterRecord {
        DeadLetterRecord(deliveryID: row.text(first), notificationID: row.text(first + 1), target: row.text(first + 2),
                         body: row.optionalBlob(first + 3), recipients: RecipientsColumn.ids(row.optionalText(first + 4)),
                         createdAt: row.date(first + 5), attempts: row.int(first + 6),
                         lastStatus: row.optionalInt(first + 7), lastError: row.text(first + 8),
                         responseExcerpt: row.optionalBlob(first + 9), deadAt: row.date(first + 10))
    }
}
