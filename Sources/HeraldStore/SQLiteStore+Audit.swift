public import Foundation

extension SQLiteStore {
    /// One page of the audit log, NEWEST FIRST, optionally filtered by subject, rule and
    /// creation time (`createdAt >= since`).
    ///
    /// - Parameters:
    ///   - limit: page size, clamped to `1...StoreLimits.maxPageSize`.
    ///   - cursor: the `next` of the previous page; nil for the first page. Entries
    ///     written after the first page was read do not shift later pages.
    public func auditPage(_ filter: AuditFilter, limit: Int,
                          after cursor: Int64?) throws(StoreError) -> StorePage<AuditEntry> {
        var conditions: [String] = []
        var values: [SQLiteValue] = []
        let (subject, rule, since) = (filter.subject, filter.rule, filter.since)
        if let subject { conditions.append("subject_id = ?"); values.append(.text(subject)) }
        if let rule { conditions.append("rule_id = ?"); values.append(.text(rule)) }
        if let since { conditions.append("created_at_ms >= ?"); values.append(.integer(StoreTime.milliseconds(since))) }
        if let cursor { conditions.append("id < ?"); values.append(.integer(cursor)) }
        let pageSize = SQLiteStore.clampedPageSize(limit)
        values.append(.integer(Int64(pageSize + 1)))   // one extra row tells whether a next page exists
        let sql = """
            SELECT id, notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed
            FROM audit \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT ?
            """
        let entries = try perform("list audit") { (connection) throws(StoreError) in
            try connection.rows(sql, values, operation: "list audit") { row in
                AuditEntry(cursor: row.int64(0), record: AuditRecord(
                    notificationID: row.text(1), ruleID: row.text(2), subjectID: row.text(3),
                    transition: row.text(4), tier: row.optionalText(5), createdAt: row.date(6),
                    payload: SQLiteStore.payload(row.blob(7), of: row.text(1)), suppressed: row.optionalText(8)))
            }
        }
        return SQLiteStore.page(entries, size: pageSize, cursor: \.cursor)
    }

    public func auditEntry(notificationID: String) throws(StoreError) -> AuditEntry? {
        try perform("read audit entry") { (connection) throws(StoreError) in
            try connection.firstRow("""
                SELECT id, notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed
                FROM audit WHERE notification_id = ?
                """, [.text(notificationID)], operation: "read audit entry") { row in
                AuditEntry(cursor: row.int64(0), record: AuditRecord(
                    notificationID: row.text(1), ruleID: row.text(2), subjectID: row.text(3),
                    transition: row.text(4), tier: row.optionalText(5), createdAt: row.date(6),
                    payload: SQLiteStore.payload(row.blob(7), of: row.text(1)), suppressed: row.optionalText(8)))
            }
        }
    }

    /// Through the outbox's index by notification (schema 5: retention needs it to keep
    /// the notices still to be sent).
    public func pendingDeliveries(notificationID: String) throws(StoreError) -> [OutboxRecord] {
        try perform("list pending deliveries of a notification") { (connection) throws(StoreError) in
            try connection.rows("SELECT \(OutboxSQL.columns) FROM outbox WHERE notification_id = ? ORDER BY id",
                                [.text(notificationID)], operation: "list pending deliveries of a notification", OutboxSQL.record)
        }
    }

    /// What happened to each delivery of a notification once it left the outbox,
    /// oldest first, so the audit view can show delivery outcomes.
    public func deliveryOutcomes(notificationID: String) throws(StoreError) -> [DeliveryOutcomeRecord] {
        try perform("list delivery outcomes") { (connection) throws(StoreError) in
            try connection.rows("""
                SELECT delivery_id, notification_id, target, outcome, attempts, status, error, at_ms
                FROM delivery_outcome WHERE notification_id = ? ORDER BY id
                """, [.text(notificationID)], operation: "list delivery outcomes") { row in
                DeliveryOutcomeRecord(deliveryID: row.text(0), notificationID: row.text(1), target: row.text(2),
                                      // Only this code writes the column, so the fallback is never taken.
                                      outcome: .init(rawValue: row.text(3)) ?? .delivered, attempts: row.int(4),
                                      status: row.optionalInt(5), error: row.optionalText(6), at: row.date(7))
            }
        }
    }

    /// An audit payload as it was given to `commit`, from its stored form (schema 7 stores
    /// `CompactJSON` with the record's notification id as the known string; older rows
    /// are JSON and come back as they are). A compact payload that does not decode (a
    /// damaged row, never written so) is passed on as stored: readers already treat a
    /// payload that is not a notice as such (a delivery of it becomes a dead letter, the
    /// API shows no document) instead of failing a whole page.
    static func payload(_ stored: Data, of notificationID: String) -> Data {
        CompactJSON.decode(stored, known: notificationID) ?? stored
    }

    /// `limit` forced into `1...StoreLimits.maxPageSize`.
    static func clampedPageSize(_ limit: Int) -> Int { min(max(limit, 1), StoreLimits.maxPageSize) }

    /// Cuts a result fetched with `size + 1` rows into a page and its next cursor.
    static func page<Item>(_ rows: [Item], size: Int, cursor: KeyPath<Item, Int64>) -> StorePage<Item> {
        guard rows.count > size else { return StorePage(items: rows, next: nil) }
        let items = Array(rows.prefix(size))
        return StorePage(items: items, next: items.last?[keyPath: cursor])
    }
}
