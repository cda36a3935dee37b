public import Foundation

/// Shared SQL fragments for outbox rows.
enum OutboxSQL {
    static let columns = """
        delivery_id, notification_id, target, body, recipients, created_at_ms, next_attempt_at_ms,
        attempts, last_status, last_error
        """

    /// `columns` of `outbox` (alias `o`), for statements that go on with WHERE/ORDER BY.
    static let selectPrefixed = """
        SELECT o.delivery_id, o.notification_id, o.target, o.body, o.recipients, o.created_at_ms,
            o.next_attempt_at_ms, o.attempts, o.last_status, o.last_error
        FROM outbox o
        """

    /// Parameter values in `columns` order.
    static func values(_ delivery: OutboxRecord) -> [SQLiteValue] {
        [.text(delivery.deliveryID), .text(delivery.notificationID), .text(delivery.target), .blob(delivery.body),
         .text(RecipientsColumn.text(delivery.recipients)),
         .integer(StoreTime.milliseconds(delivery.createdAt)), .integer(StoreTime.milliseconds(delivery.nextAttemptAt)),
         .integer(Int64(delivery.attempts)), .integer(delivery.lastStatus), .text(delivery.lastError)]
    }

    /// Reads a row selected with `columns` (or `selectPrefixed`) first; no notice.
    static func record(_ row: SQLiteRow) -> OutboxRecord {
        OutboxRecord(deliveryID: row.text(0), notificationID: row.text(1), target: row.text(2), body: row.optionalBlob(3),
                     recipients: RecipientsColumn.ids(row.optionalText(4)),
                     createdAt: row.date(5), nextAttemptAt: row.date(6), attempts: row.int(7),
                     lastStatus: row.optionalInt(8), lastError: row.optionalText(9))
    }
}

extension OutboxSQL {
    /// `rows` with the notices of those without a body.
    static func withNotices(_ rows: [OutboxRecord], _ connection: SQLiteConnection,
                            operation: String) throws(StoreError) -> [OutboxRecord] {
        try NoticeReader.attach(rows, connection, operation: operation,
                                body: \.body, id: \.notificationID, notice: \.notice)
    }
}

/// The `recipients` column: a JSON array of user ids, NULL for all of the notice's.
enum RecipientsColumn {
    static func text(_ ids: [String]?) -> String? {
        guard let ids, let data = try? JSONEncoder().encode(ids) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func ids(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

}

/// The notices of rows without a body of their own, read once per notice.
///
/// Why not a join: a notice to n people is one audit payload listing all n, with up to
/// n per-person rows; joining it to every row read the payload n times (gigabytes for a
/// 10,000-person fan-out). Rows of one notice share one `Data` here.
enum NoticeReader {
    static let select = "SELECT payload, created_at_ms FROM audit WHERE notification_id = ?"

    /// `rows` with `notice` set on those that have no body.
    static func attach<Row>(_ rows: [Row], _ connection: SQLiteConnection, operation: String,
                            body: KeyPath<Row, Data?>, id: KeyPath<Row, String>,
                            notice: WritableKeyPath<Row, StoredNotice?>) throws(StoreError) -> [Row] {
        var read: [String: StoredNotice?] = [:]
        var rows = rows
        for index in rows.indices where rows[index][keyPath: body] == nil {
            let notificationID = rows[index][keyPath: id]
            if read[notificationID] == nil {
                read[notificationID] = .some(try connection.firstRow(select, [.text(notificationID)], operation: operation) {
                    StoredNotice(payload: SQLiteStore.payload($0.blob(0), of: notificationID), createdAt: $0.date(1))
                })
            }
            rows[index][keyPath: notice] = read[notificationID] ?? nil
        }
        return rows
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
            let rows = try connection.rows("""
                \(OutboxSQL.selectPrefixed)
                WHERE o.next_attempt_at_ms <= ?
                  AND substr(o.target, 1, instr(o.target || '@', '@') - 1) NOT IN (SELECT value FROM json_each(?))
                ORDER BY o.next_attempt_at_ms, o.id LIMIT ?
                """, [.integer(StoreTime.milliseconds(now)), .text(excluded), .integer(Int64(SQLiteStore.clampedFetch(limit)))],
                operation: "list due deliveries", OutboxSQL.record)
            return try OutboxSQL.withNotices(rows, connection, operation: "list due deliveries")
        }
    }

    /// All waiting deliveries, due or not, earliest first: what a restarted daemon
    /// resumes. `limit` is clamped to `1...StoreLimits.maxDeliveriesPerFetch`.
    public func pendingDeliveries(limit: Int) throws(StoreError) -> [OutboxRecord] {
        try perform("list pending deliveries") { (connection) throws(StoreError) in
            let rows = try connection.rows("\(OutboxSQL.selectPrefixed) ORDER BY o.next_attempt_at_ms, o.id LIMIT ?",
                                           [.integer(Int64(SQLiteStore.clampedFetch(limit)))],
                                           operation: "list pending deliveries", OutboxSQL.record)
            return try OutboxSQL.withNotices(rows, connection, operation: "list pending deliveries")
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

    /// Deliveries waiting per target id (the part of `target` before any '@'): what the
    /// backlog limits start from. Reads the whole outbox, once at start-up.
    public func outboxDepthByTarget() throws(StoreError) -> [String: Int] {
        try perform("count outbox by target") { (connection) throws(StoreError) in
            var depths: [String: Int] = [:]
            for (target, count) in try connection.rows("""
                SELECT substr(target, 1, instr(target || '@', '@') - 1) AS t, count(*) FROM outbox GROUP BY t
                """, operation: "count outbox by target", { ($0.text(0), $0.int(1)) }) {
                depths[target] = count
            }
            return depths
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
