public import Foundation

/// An operator's silence as the store keeps it. The body is the core's JSON (the store
/// never parses it); the times are copied out so "which silences have not ended" is
/// one indexed range, and so an expiry can be recorded without understanding the body.
public struct SilenceRecord: Sendable, Equatable {
    public var id: String
    /// The silence as JSON, written and read by the daemon.
    public var body: Data
    public var startsAt: Date
    public var endsAt: Date
    public var createdAt: Date

    public init(id: String, body: Data, startsAt: Date, endsAt: Date, createdAt: Date) {
        self.id = id
        self.body = body
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdAt = createdAt
    }
}

/// Shared SQL for silence rows.
enum SilenceSQL {
    static let columns = "id, body, starts_at_ms, ends_at_ms, created_at_ms"

    static func record(_ row: SQLiteRow) -> SilenceRecord {
        SilenceRecord(id: row.text(0), body: row.blob(1), startsAt: row.date(2), endsAt: row.date(3), createdAt: row.date(4))
    }

    static func values(_ record: SilenceRecord) -> [SQLiteValue] {
        [.text(record.id), .blob(record.body), .integer(StoreTime.milliseconds(record.startsAt)),
         .integer(StoreTime.milliseconds(record.endsAt)), .integer(StoreTime.milliseconds(record.createdAt))]
    }

    // The writes, each inside the caller's transaction (or on its own); true when a row changed.

    static func add(_ record: SilenceRecord, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        try connection.run("INSERT OR IGNORE INTO silences (\(columns)) VALUES (?, ?, ?, ?, ?)", values(record),
                           operation: "add silence") == 1
    }

    static func replace(_ record: SilenceRecord, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        try connection.run("UPDATE silences SET body = ?, starts_at_ms = ?, ends_at_ms = ? WHERE id = ?",
                           [.blob(record.body), .integer(StoreTime.milliseconds(record.startsAt)),
                            .integer(StoreTime.milliseconds(record.endsAt)), .text(record.id)],
                           operation: "replace silence") == 1
    }

    static func delete(id: String, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        try connection.run("DELETE FROM silences WHERE id = ?", [.text(id)], operation: "delete silence") == 1
    }
}

extension SQLiteStore {
    /// Stores a new silence. Returns false (and changes nothing) when a silence with
    /// this id exists already: ids are chosen by operators or the API and must not
    /// silently replace another silence.
    @discardableResult
    public func addSilence(_ record: SilenceRecord) throws(StoreError) -> Bool {
        try perform("add silence") { (connection) throws(StoreError) in try SilenceSQL.add(record, connection) }
    }

    /// Silences newest first (by creation). With `endingAfter`, only those that have not
    /// ended by then (in force or yet to start): what the daemon matches against.
    /// At most `StoreLimits.maxSilencesListed`.
    public func silences(endingAfter date: Date?) throws(StoreError) -> [SilenceRecord] {
        let cutoff = date.map(StoreTime.milliseconds) ?? Int64.min
        return try perform("list silences") { (connection) throws(StoreError) in
            try connection.rows("""
                SELECT \(SilenceSQL.columns) FROM silences WHERE ends_at_ms > ?
                ORDER BY created_at_ms DESC, id LIMIT ?
                """, [.integer(cutoff), .integer(Int64(StoreLimits.maxSilencesListed))], operation: "list silences", SilenceSQL.record)
        }
    }

    /// One silence by id, or nil.
    public func silence(id: String) throws(StoreError) -> SilenceRecord? {
        try perform("read silence") { (connection) throws(StoreError) in
            try connection.firstRow("SELECT \(SilenceSQL.columns) FROM silences WHERE id = ?", [.text(id)],
                                    operation: "read silence", SilenceSQL.record)
        }
    }

    /// Rewrites an existing silence (its body and times; the creation time is kept), e.g.
    /// to expire it early. Returns false when there is no silence with this id.
    @discardableResult
    public func replaceSilence(_ record: SilenceRecord) throws(StoreError) -> Bool {
        try perform("replace silence") { (connection) throws(StoreError) in try SilenceSQL.replace(record, connection) }
    }

    /// Removes a silence for good. Audit rows that name it keep its id. Returns false
    /// when there was none.
    @discardableResult
    public func deleteSilence(id: String) throws(StoreError) -> Bool {
        try perform("delete silence") { (connection) throws(StoreError) in try SilenceSQL.delete(id: id, connection) }
    }
}
