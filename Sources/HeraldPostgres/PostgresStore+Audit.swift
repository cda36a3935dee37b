import Foundation
public import HeraldStore

extension PostgresStore {
    /// One page of the audit log, newest first; each filter field adds one condition with
    /// its own parameter (the SQL shapes are fixed by which fields are set: 16 at most).
    public func auditPage(_ filter: AuditFilter, limit: Int, after cursor: Int64?) throws(StoreError) -> StorePage<AuditEntry> {
        var conditions: [String] = []
        var values: [PostgresValue] = []
        func add(_ column: String, _ comparison: String, _ value: PostgresValue) {
            values.append(value)
            conditions.append("\(column) \(comparison) $\(values.count)")
        }
        if let subject = filter.subject { add("subject_id", "=", .text(subject)) }
        if let rule = filter.rule { add("rule_id", "=", .text(rule)) }
        if let since = filter.since { add("created_at_ms", ">=", PostgresColumns.time(since)) }
        if let cursor { add("id", "<", .integer(cursor)) }
        let size = Self.clampedPageSize(limit)
        values.append(.integer(size + 1))   // one extra row tells whether a next page exists
        let sql = """
            SELECT \(AuditColumns.names) FROM audit \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT $\(values.count)
            """
        let entries = try read("list audit") { (connection) throws(PostgresError) in
            try connection.rows(sql, values, operation: "list audit", AuditColumns.entry)
        }
        return Self.page(entries, size: size, cursor: \.cursor)
    }

    public func auditEntry(notificationID: String) throws(StoreError) -> AuditEntry? {
        try read("read audit entry") { (connection) throws(PostgresError) in
            try connection.firstRow("SELECT \(AuditColumns.names) FROM audit WHERE notification_id = $1",
                                    [.text(notificationID)], operation: "read audit entry", AuditColumns.entry)
        }
    }

    public func pendingDeliveries(notificationID: String) throws(StoreError) -> [OutboxRecord] {
        try read("list pending deliveries of a notification") { (connection) throws(PostgresError) in
            try connection.rows("SELECT \(OutboxColumns.names) FROM outbox WHERE notification_id = $1 ORDER BY id",
                                [.text(notificationID)], operation: "list pending deliveries of a notification",
                                OutboxColumns.record)
        }
    }

    public func deliveryOutcomes(notificationID: String) throws(StoreError) -> [DeliveryOutcomeRecord] {
        try read("list delivery outcomes") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT delivery_id, notification_id, target, outcome, attempts, status, error, at_ms
                FROM delivery_outcome WHERE notification_id = $1 ORDER BY id
                """, [.text(notificationID)], operation: "list delivery outcomes") {
                DeliveryOutcomeRecord(deliveryID: $0.text(0), notificationID: $0.text(1), target: $0.text(2),
                                      // Only this code writes the column, so the fallback is never taken.
                                      outcome: .init(rawValue: $0.text(3)) ?? .delivered, attempts: $0.int(4),
                                      status: $0.optionalInt(5), error: $0.optionalText(6), at: PostgresColumns.date($0, 7))
            }
        }
    }

    // MARK: - Retention

    /// One bounded pruning step, as SQLite's store does it (oldest rows by id, at most
    /// `limit` per table, audit records still needed by a delivery stepped over).
    public func pruneHistory(_ cutoffs: RetentionCutoffs, limit: Int) throws(StoreError) -> PruneStep {
        let limit = min(max(limit, 1), StoreLimits.maxPrunedPerStep)
        return try write("prune history") { (connection) throws(PostgresError) in
            let deliveriesBefore = PostgresColumns.time(cutoffs.deliveriesBefore)
            let deadLetters = try connection.run("""
                DELETE FROM dead_letter WHERE id IN (
                    SELECT id FROM (SELECT id, dead_at_ms FROM dead_letter ORDER BY id LIMIT $1) w WHERE dead_at_ms < $2)
                """, [.integer(limit), deliveriesBefore], operation: "prune dead letters")
            let outcomes = try connection.run("""
                DELETE FROM delivery_outcome WHERE id IN (
                    SELECT id FROM (SELECT id, at_ms FROM delivery_outcome ORDER BY id LIMIT $1) w WHERE at_ms < $2)
                """, [.integer(limit), deliveriesBefore], operation: "prune delivery outcomes")
            let audit = try pruneAudit(before: cutoffs.auditBefore, limit: limit, connection)
            // Not history (not counted as removed): the feed's log of written keys.
            let log = try pruneRuleStateLog(limit: limit, connection)
            return PruneStep(removed: deadLetters + outcomes + audit.removed,
                             more: deadLetters == limit || outcomes == limit || audit.more || log == limit)
        }
    }

    /// Audit records older than `before` that no waiting delivery or dead letter still
    /// sends; the cursor steps over the kept ones (see SQLiteStore+Retention.swift).
    private func pruneAudit(before: Date, limit: Int,
                            _ connection: PostgresConnection) throws(PostgresError) -> (removed: Int, more: Bool) {
        let cutoff = PostgresColumns.milliseconds(before)
        let window = try connection.rows("""
            SELECT a.id, a.created_at_ms,
                EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = a.notification_id)
                OR EXISTS (SELECT 1 FROM dead_letter d WHERE d.notification_id = a.notification_id)
            FROM audit a WHERE a.id > $1 ORDER BY a.id LIMIT $2
            """, [.integer(auditPruneCursor), .integer(limit)], operation: "prune audit") {
            (id: $0.int64(0), old: $0.int64(1) < cutoff, needed: $0.text(2) == "t")
        }
        let old = window.prefix { $0.old }
        let removable = old.filter { !$0.needed }.map(\.id)
        if !removable.isEmpty {
            try connection.run("DELETE FROM audit WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::bigint)",
                               [PostgresColumns.jsonArray(removable.map(String.init))], operation: "prune audit")
        }
        let reachedTheRetained = old.count < window.count || window.count < limit
        auditPruneCursor = reachedTheRetained ? 0 : (old.last?.id ?? 0)
        return (removable.count, !reachedTheRetained)
    }
}
