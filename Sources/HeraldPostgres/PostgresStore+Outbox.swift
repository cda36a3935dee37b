public import Foundation
public import HeraldStore
import HeraldSupport

extension PostgresStore {
    /// Deliveries due at `now`, earliest first, leaving out targets (the part before any
    /// '@') in `excludingTargets`, at most `limit` clamped to `1...StoreLimits.maxDeliveriesPerFetch`
    /// — and CLAIMED for this instance: rows another instance holds are skipped, the rows
    /// returned are held by this one for `leaseMilliseconds` (PostgresStore+Claims.swift).
    public func dueDeliveries(now: Date, limit: Int, excludingTargets: Set<String>) throws(StoreError) -> [OutboxRecord] {
        try write("claim due deliveries") { (connection) throws(PostgresError) in
            let claimed = try connection.rows(ClaimStatements.claimDue, [
                PostgresColumns.time(now), PostgresColumns.jsonArray(excludingTargets.sorted()),
                .integer(Self.clampedFetch(limit)), .text(instanceID), .integer(leaseMilliseconds),
            ], operation: "claim due deliveries") { (row: OutboxColumns.record($0), id: $0.int64(10)) }
            // RETURNING follows no order: put the claimed rows back in due order.
            let rows = claimed.sorted { ($0.row.nextAttemptAt, $0.id) < ($1.row.nextAttemptAt, $1.id) }.map(\.row)
            return try Self.withNotices(rows, connection, operation: "claim due deliveries")
        }
    }

    public func pendingDeliveries(limit: Int) throws(StoreError) -> [OutboxRecord] {
        try read("list pending deliveries") { (connection) throws(PostgresError) in
            let rows = try connection.rows("SELECT \(OutboxColumns.names) FROM outbox ORDER BY next_attempt_at_ms, id LIMIT $1",
                                           [.integer(Self.clampedFetch(limit))], operation: "list pending deliveries",
                                           OutboxColumns.record)
            return try Self.withNotices(rows, connection, operation: "list pending deliveries")
        }
    }

    @discardableResult
    public func recordAttempt(deliveryID: String, attempts: Int, nextAttemptAt: Date,
                              lastStatus: Int?, lastError: String?) throws(StoreError) -> Bool {
        try write("record delivery attempt") { (connection) throws(PostgresError) in
            try connection.run(ClaimStatements.recordAttempt, [
                .integer(attempts), PostgresColumns.time(nextAttemptAt), .integer(lastStatus), .text(lastError),
                .text(deliveryID), .text(instanceID),
            ], operation: "record delivery attempt") == 1
        }
    }

    /// Removes delivered rows and records their outcomes in one transaction, one statement
    /// for all of them (DeliveredRows.swift). Each row is deleted with RETURNING, so of two
    /// instances finishing the same delivery only one records an outcome.
    @discardableResult
    public func markDelivered(_ deliveries: [DeliveredRecord]) throws(StoreError) -> Int {
        guard !deliveries.isEmpty else { return 0 }
        return try write("mark delivered") { (connection) throws(PostgresError) in
            try connection.run(DeliveredRows.finish, DeliveredRows.values(deliveries, instance: instanceID), operation: "mark delivered")
        }
    }

    public func outboxDepth() throws(StoreError) -> Int {
        try read("count outbox") { (connection) throws(PostgresError) in
            try connection.firstRow("SELECT count(*) FROM outbox", operation: "count outbox") { $0.int(0) } ?? 0
        }
    }

    public func outboxDepthByTarget() throws(StoreError) -> [String: Int] {
        try read("count outbox by target") { (connection) throws(PostgresError) in
            let rows = try connection.rows("SELECT split_part(target, '@', 1) AS t, count(*) FROM outbox GROUP BY t",
                                           operation: "count outbox by target") { ($0.text(0), $0.int(1)) }
            return Dictionary(rows, uniquingKeysWith: +)
        }
    }

    // MARK: - Dead letters

    @discardableResult
    public func moveToDeadLetter(deliveryID: String, status: Int?, error: String,
                                 responseExcerpt: Data?, at: Date) throws(StoreError) -> Bool {
        let excerpt = responseExcerpt.map { Data($0.prefix(SharedLimits.responseExcerptBytes)) }
        return try write("dead-letter delivery") { (connection) throws(PostgresError) in
            guard let delivery = try takeFromOutbox(deliveryID, connection) else { return false }
            let dead = DeadLetterRecord(deliveryID: deliveryID, notificationID: delivery.notificationID, target: delivery.target,
                                        body: delivery.body, recipients: delivery.recipients, createdAt: delivery.createdAt,
                                        attempts: delivery.attempts + 1, lastStatus: status, lastError: error,
                                        responseExcerpt: excerpt, deadAt: at)
            try connection.run(DeadLetterColumns.insert, DeadLetterColumns.values(dead), operation: "dead-letter delivery")
            try Self.recordOutcome(.deadLettered, delivery, attempts: dead.attempts, status: status, error: error, at: at, connection)
            return true
        }
    }

    public func deadLetters(limit: Int, after cursor: Int64?) throws(StoreError) -> StorePage<DeadLetterEntry> {
        let size = Self.clampedPageSize(limit)
        let rows = try read("list dead letters") { (connection) throws(PostgresError) in
            let rows = try connection.rows("SELECT id, \(DeadLetterColumns.names) FROM dead_letter WHERE id < $1 ORDER BY id DESC LIMIT $2",
                                           [.integer(cursor ?? Int64.max), .integer(size + 1)], operation: "list dead letters") {
                DeadLetterEntry(cursor: $0.int64(0), record: DeadLetterColumns.record($0, from: 1))
            }
            return try NoticeReader.attach(rows, connection, operation: "list dead letters", body: \.record.body,
                                           id: \.record.notificationID, notice: \.record.notice)
        }
        return Self.page(rows, size: size, cursor: \.cursor)
    }

    @discardableResult
    public func requeueDeadLetter(deliveryID: String, now: Date) throws(StoreError) -> Bool {
        try write("requeue dead letter") { (connection) throws(PostgresError) in
            try Self.requeueDeadLetter(deliveryID: deliveryID, now: now, connection)
        }
    }

    /// `requeueDeadLetter` inside the caller's transaction.
    static func requeueDeadLetter(deliveryID: String, now: Date, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        guard let dead = try connection.firstRow("DELETE FROM dead_letter WHERE delivery_id = $1 RETURNING \(DeadLetterColumns.names)",
                                                 [.text(deliveryID)], operation: "requeue dead letter",
                                                 { DeadLetterColumns.record($0, from: 0) }) else { return false }
        let delivery = OutboxRecord(deliveryID: dead.deliveryID, notificationID: dead.notificationID, target: dead.target,
                                    body: dead.body, recipients: dead.recipients, createdAt: dead.createdAt, nextAttemptAt: now)
        try connection.run(OutboxColumns.insert, OutboxColumns.values(delivery), operation: "requeue dead letter")
        try recordOutcome(.requeued, delivery, attempts: dead.attempts, status: dead.lastStatus,
                          error: dead.lastError, at: now, connection)
        return true
    }

    // MARK: - Shared steps (inside a transaction)

    /// `rows` with the notices of those without a body.
    static func withNotices(_ rows: [OutboxRecord], _ connection: PostgresConnection,
                            operation: String) throws(PostgresError) -> [OutboxRecord] {
        try NoticeReader.attach(rows, connection, operation: operation, body: \.body, id: \.notificationID, notice: \.notice)
    }

    static func clampedFetch(_ limit: Int) -> Int { min(max(limit, 1), StoreLimits.maxDeliveriesPerFetch) }

    static func clampedPageSize(_ limit: Int) -> Int { min(max(limit, 1), StoreLimits.maxPageSize) }

    /// Cuts a result fetched with `size + 1` rows into a page and its next cursor.
    static func page<Item>(_ rows: [Item], size: Int, cursor: KeyPath<Item, Int64>) -> StorePage<Item> {
        guard rows.count > size else { return StorePage(items: rows, next: nil) }
        let items = Array(rows.prefix(size))
        return StorePage(items: items, next: items.last?[keyPath: cursor])
    }

    /// Deletes one outbox row and returns it; nil when it is not (or no longer) there, or
    /// another instance holds it (its claim wins: the late finish changes nothing).
    func takeFromOutbox(_ deliveryID: String, _ connection: PostgresConnection) throws(PostgresError) -> OutboxRecord? {
        try connection.firstRow(ClaimStatements.take, [.text(deliveryID), .text(instanceID)],
                                operation: "take from outbox", OutboxColumns.record)
    }

    static func recordOutcome(_ outcome: DeliveryOutcomeRecord.Outcome, _ delivery: OutboxRecord, attempts: Int,
                              status: Int?, error: String?, at: Date, _ connection: PostgresConnection) throws(PostgresError) {
        try connection.run("""
            INSERT INTO delivery_outcome (delivery_id, notification_id, target, outcome, attempts, status, error, at_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.text(delivery.deliveryID), .text(delivery.notificationID), .text(delivery.target), .text(outcome.rawValue),
                  .integer(attempts), .integer(status), .text(error), PostgresColumns.time(at)],
            operation: "record delivery outcome")
    }
}
