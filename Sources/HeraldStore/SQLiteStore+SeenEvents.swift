public import Foundation

extension SQLiteStore {
    /// Event ids seen at or after `since`, oldest first: the idempotency window to load
    /// into memory at startup. Written only through `commit`.
    public func loadSeenEvents(since: Date) throws(StoreError) -> [SeenEventRecord] {
        try perform("load seen events") { (connection) throws(StoreError) in
            try connection.rows("SELECT event_id, seen_at_ms FROM seen_event WHERE seen_at_ms >= ? ORDER BY seen_at_ms",
                                [.integer(StoreTime.milliseconds(since))], operation: "load seen events") { row in
                SeenEventRecord(eventID: row.text(0), seenAt: row.date(1))
            }
        }
    }

    /// Forgets event ids seen before `before` (outside the idempotency window);
    /// returns how many were removed.
    @discardableResult
    public func pruneSeenEvents(before: Date) throws(StoreError) -> Int {
        try perform("prune seen events") { (connection) throws(StoreError) in
            try connection.run("DELETE FROM seen_event WHERE seen_at_ms < ?",
                               [.integer(StoreTime.milliseconds(before))], operation: "prune seen events")
        }
    }
}
