public import Foundation

/// Retention: history older than the configured durations leaves the file in small
/// steps, and the pages it held go back to the file system (issue #22).
///
/// Every step is one short transaction of at most `limit` rows, queued on the store
/// queue like any other call: ingest commits wait behind one step at most, never behind
/// a whole pass. Rows are visited oldest first by id (ids grow with commit time), so a
/// step reads a bounded window and never scans the table for old rows.
extension SQLiteStore {
    public func pruneHistory(_ cutoffs: RetentionCutoffs, limit: Int) throws(StoreError) -> PruneStep {
        let limit = min(max(limit, 1), StoreLimits.maxPrunedPerStep)
        return try performTransaction("prune history") { (connection) throws(StoreError) in
            let deadLetters = try connection.run("""
                DELETE FROM dead_letter WHERE id IN (
                    SELECT id FROM (SELECT id, dead_at_ms FROM dead_letter ORDER BY id LIMIT ?) WHERE dead_at_ms < ?)
                """, [.integer(Int64(limit)), .integer(StoreTime.milliseconds(cutoffs.deliveriesBefore))],
                operation: "prune dead letters")
            let outcomes = try connection.run("""
                DELETE FROM delivery_outcome WHERE id IN (
                    SELECT id FROM (SELECT id, at_ms FROM delivery_outcome ORDER BY id LIMIT ?) WHERE at_ms < ?)
                """, [.integer(Int64(limit)), .integer(StoreTime.milliseconds(cutoffs.deliveriesBefore))],
                operation: "prune delivery outcomes")
            let audit = try pruneAudit(before: cutoffs.auditBefore, limit: limit, connection)
            return PruneStep(removed: deadLetters + outcomes + audit.removed,
                             more: deadLetters == limit || outcomes == limit || audit.more)
        }
    }

    /// Audit records older than `before`, except those whose notice a waiting delivery
    /// or dead letter still sends (its body is written from it). Such a record is
    /// stepped over: the cursor (`auditPruneCursor`) moves past it, so the next step
    /// reads on rather than again, and goes back to the start once a step reaches a
    /// record inside the retention.
    private func pruneAudit(before: Date, limit: Int,
                            _ connection: SQLiteConnection) throws(StoreError) -> (removed: Int, more: Bool) {
        let cutoff = StoreTime.milliseconds(before)
        let window = try connection.rows("""
            SELECT a.id, a.created_at_ms,
                EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = a.notification_id)
                OR EXISTS (SELECT 1 FROM dead_letter d WHERE d.notification_id = a.notification_id)
            FROM audit a WHERE a.id > ? ORDER BY a.id LIMIT ?
            """, [.integer(auditPruneCursor), .integer(Int64(limit))], operation: "prune audit") {
            (id: $0.int64(0), old: $0.int64(1) < cutoff, needed: $0.int(2) != 0)
        }
        let old = window.prefix { $0.old }
        let removable = old.filter { !$0.needed }.map(\.id)
        for id in removable {
            try connection.run("DELETE FROM audit WHERE id = ?", [.integer(id)], operation: "prune audit")
        }
        let reachedTheRetained = old.count < window.count || window.count < limit
        auditPruneCursor = reachedTheRetained ? 0 : (old.last?.id ?? 0)
        return (removable.count, !reachedTheRetained)
    }

    /// Gives up to `maxPages` free pages back to the file system (`incremental_vacuum`),
    /// returns how many went. The file shrinks at the next checkpoint.
    public func releaseFreeSpace(maxPages: Int) throws(StoreError) -> Int {
        try perform("release free space") { (connection) throws(StoreError) in
            let before = try connection.firstRow("PRAGMA freelist_count", operation: "release free space") { $0.int(0) } ?? 0
            guard before > 0 else { return 0 }
            try connection.executeScript("PRAGMA incremental_vacuum(\(max(1, maxPages)))", operation: "release free space")
            let after = try connection.firstRow("PRAGMA freelist_count", operation: "release free space") { $0.int(0) } ?? 0
            return before - after
        }
    }

    /// The file's size, free space, rows and oldest record per table. Counting rows reads
    /// each table: called once per retention pass, not per metrics scrape.
    public func statistics() throws(StoreError) -> StoreStatistics {
        try perform("store statistics") { (connection) throws(StoreError) in
            func scalar(_ sql: String) throws(StoreError) -> Int64 {
                try connection.firstRow(sql, operation: "store statistics") { $0.int64(0) } ?? 0
            }
            let pageSize = try scalar("PRAGMA page_size")
            var statistics = StoreStatistics(
                fileBytes: try scalar("PRAGMA page_count") * pageSize + walBytes(),
                freeBytes: try scalar("PRAGMA freelist_count") * pageSize)
            for (table, time) in Self.historyTables {
                statistics.rows[table] = Int(try scalar("SELECT count(*) FROM \(table)"))
                if let oldest = try connection.firstRow("SELECT \(time) FROM \(table) ORDER BY id LIMIT 1",
                                                        operation: "store statistics", { $0.int64(0) }) {
                    statistics.oldest[table] = StoreTime.date(fromMilliseconds: oldest)
                }
            }
            statistics.rows["rule_state"] = Int(try scalar("SELECT count(*) FROM rule_state"))
            statistics.rows["seen_event"] = Int(try scalar("SELECT count(*) FROM seen_event"))
            return statistics
        }
    }

    /// The tables with rows by id in time order, and the time column of each.
    static let historyTables = [("audit", "created_at_ms"), ("outbox", "created_at_ms"),
                                ("dead_letter", "dead_at_ms"), ("delivery_outcome", "at_ms")]

    private func walBytes() -> Int64 {
        let wal = fileURL.path + "-wal"
        return ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
