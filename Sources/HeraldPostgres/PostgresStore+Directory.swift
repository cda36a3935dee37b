public import Foundation
public import HeraldStore

/// Silences and SCIM resources: operators' and identity providers' writes, shared by
/// every instance on the database.
extension PostgresStore {
    static let silenceColumns = "id, body, starts_at_ms, ends_at_ms, created_at_ms"

    static func silence(_ row: PostgresRow) -> SilenceRecord {
        SilenceRecord(id: row.text(0), body: row.bytes(1), startsAt: PostgresColumns.date(row, 2),
                      endsAt: PostgresColumns.date(row, 3), createdAt: PostgresColumns.date(row, 4))
    }

    @discardableResult
    public func addSilence(_ record: SilenceRecord) throws(StoreError) -> Bool {
        try write("add silence") { (connection) throws(PostgresError) in try Self.addSilence(record, connection) }
    }

    /// `addSilence` inside the caller's transaction; wakes the other instances when it added one.
    static func addSilence(_ record: SilenceRecord, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        let added = try connection.run("""
            INSERT INTO silences (\(silenceColumns)) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING
            """, [.text(record.id), .bytes(record.body), PostgresColumns.time(record.startsAt),
                  PostgresColumns.time(record.endsAt), PostgresColumns.time(record.createdAt)],
            operation: "add silence") == 1
        if added { try notify(.silences, connection) }
        return added
    }

    public func silences(endingAfter date: Date?) throws(StoreError) -> [SilenceRecord] {
        let cutoff = date.map(PostgresColumns.milliseconds) ?? Int64.min
        return try read("list silences") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT \(Self.silenceColumns) FROM silences WHERE ends_at_ms > $1 ORDER BY created_at_ms DESC, id LIMIT $2
                """, [.integer(cutoff), .integer(StoreLimits.maxSilencesListed)], operation: "list silences", Self.silence)
        }
    }

    public func silence(id: String) throws(StoreError) -> SilenceRecord? {
        try read("read silence") { (connection) throws(PostgresError) in
            try connection.firstRow("SELECT \(Self.silenceColumns) FROM silences WHERE id = $1", [.text(id)],
                                    operation: "read silence", Self.silence)
        }
    }

    @discardableResult
    public func replaceSilence(_ record: SilenceRecord) throws(StoreError) -> Bool {
        try write("replace silence") { (connection) throws(PostgresError) in try Self.replaceSilence(record, connection) }
    }

    /// `replaceSilence` inside the caller's transaction.
    static func replaceSilence(_ record: SilenceRecord, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        let replaced = try connection.run("UPDATE silences SET body = $1, starts_at_ms = $2, ends_at_ms = $3 WHERE id = $4",
                                          [.bytes(record.body), PostgresColumns.time(record.startsAt), PostgresColumns.time(record.endsAt),
                                           .text(record.id)], operation: "replace silence") == 1
        if replaced { try notify(.silences, connection) }
        return replaced
    }

    @discardableResult
    public func deleteSilence(id: String) throws(StoreError) -> Bool {
        try write("delete silence") { (connection) throws(PostgresError) in try Self.deleteSilence(id: id, connection) }
    }

    /// `deleteSilence` inside the caller's transaction.
    static func deleteSilence(id: String, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        let deleted = try connection.run("DELETE FROM silences WHERE id = $1", [.text(id)], operation: "delete silence") == 1
        if deleted { try notify(.silences, connection) }
        return deleted
    }

    // MARK: - SCIM

    public func scimResources() throws(StoreError) -> [ScimResourceRecord] {
        try read("load scim resources") { (connection) throws(PostgresError) in
            try connection.rows("SELECT kind, id, body, updated_at_ms FROM scim_resource ORDER BY seq",
                                operation: "load scim resources") {
                ScimResourceRecord(kind: $0.text(0), id: $0.text(1), body: $0.bytes(2), updatedAt: PostgresColumns.date($0, 3))
            }
        }
    }

    public func saveScimChange(_ change: ScimChangeRecord) throws(StoreError) {
        try saveScimChanges([change])
    }

    /// Several changes, in order, in one guarded transaction: all or none.
    public func saveScimChanges(_ changes: [ScimChangeRecord]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try write("save scim change") { (connection) throws(PostgresError) in
            for change in changes { try Self.writeScimChange(change, connection) }
            try Self.notify(.directory, connection)
        }
    }

    /// One change's rows inside the caller's transaction.
    static func writeScimChange(_ change: ScimChangeRecord, _ connection: PostgresConnection) throws(PostgresError) {
        for record in change.upserts {
            try connection.run("""
                INSERT INTO scim_resource (kind, id, body, updated_at_ms) VALUES ($1, $2, $3, $4)
                ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms
                """, [.text(record.kind), .text(record.id), .bytes(record.body), PostgresColumns.time(record.updatedAt)],
                operation: "save scim change")
        }
        for delete in change.deletes {
            try connection.run("DELETE FROM scim_resource WHERE kind = $1 AND id = $2", [.text(delete.kind), .text(delete.id)],
                               operation: "save scim change")
        }
        let audit = change.audit
        try connection.run("""
            INSERT INTO directory_audit (at_ms, actor, operation, kind, resource_id, detail) VALUES ($1, $2, $3, $4, $5, $6)
            """, [PostgresColumns.time(audit.at), .text(audit.actor), .text(audit.operation), .text(audit.kind),
                  .text(audit.resourceID), .bytes(audit.detail)], operation: "save scim change")
    }

    /// The count of directory audit rows. Not `max(id)`: identity values are taken at
    /// insert, not at commit, so a change committing after one with a higher id would
    /// never move a maximum already seen; every commit moves the count.
    public func directoryVersion() throws(StoreError) -> Int64 {
        try read("read directory version") { (connection) throws(PostgresError) in
            try connection.firstRow("SELECT count(*) FROM directory_audit", operation: "read directory version") { $0.int64(0) } ?? 0
        }
    }

    public func directoryAudit(limit: Int) throws(StoreError) -> [DirectoryAuditRecord] {
        try read("read directory audit") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT at_ms, actor, operation, kind, resource_id, detail FROM directory_audit ORDER BY id DESC LIMIT $1
                """, [.integer(Self.clampedPageSize(limit))], operation: "read directory audit") {
                DirectoryAuditRecord(at: PostgresColumns.date($0, 0), actor: $0.text(1), operation: $0.text(2), kind: $0.text(3),
                                     resourceID: $0.text(4), detail: $0.bytes(5))
            }
        }
    }
}
