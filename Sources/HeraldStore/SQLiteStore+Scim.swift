public import Foundation

/// A SCIM resource as stored: its kind (`User`, `Group`), id and SCIM JSON (the core's;
/// the store never parses it).
public struct ScimResourceRecord: Sendable, Equatable {
    public var kind: String
    public var id: String
    public var body: Data
    public var updatedAt: Date

    public init(kind: String, id: String, body: Data, updatedAt: Date) {
        self.kind = kind
        self.id = id
        self.body = body
        self.updatedAt = updatedAt
    }
}

/// Who changed the directory through SCIM, and how.
public struct DirectoryAuditRecord: Sendable, Equatable {
    public var at: Date
    /// The API token's id.
    public var actor: String
    /// `create`, `replace`, `patch`, `delete`.
    public var operation: String
    public var kind: String
    public var resourceID: String
    /// The resource as it became (JSON), or `{}` for a deletion.
    public var detail: Data

    public init(at: Date, actor: String, operation: String, kind: String, resourceID: String, detail: Data) {
        self.at = at
        self.actor = actor
        self.operation = operation
        self.kind = kind
        self.resourceID = resourceID
        self.detail = detail
    }
}

/// One SCIM request's writes.
public struct ScimChangeRecord: Sendable, Equatable {
    public var upserts: [ScimResourceRecord]
    public var deletes: [(kind: String, id: String)]
    public var audit: DirectoryAuditRecord

    public init(upserts: [ScimResourceRecord], deletes: [(kind: String, id: String)] = [], audit: DirectoryAuditRecord) {
        self.upserts = upserts
        self.deletes = deletes
        self.audit = audit
    }

    public static func == (a: ScimChangeRecord, b: ScimChangeRecord) -> Bool {
        a.upserts == b.upserts && a.audit == b.audit && a.deletes.map { "\($0.kind)/\($0.id)" } == b.deletes.map { "\($0.kind)/\($0.id)" }
    }
}

extension SQLiteStore {
    public func scimResources() throws(StoreError) -> [ScimResourceRecord] {
        try perform("load scim resources") { (connection) throws(StoreError) in
            try connection.rows("SELECT kind, id, body, updated_at_ms FROM scim_resource ORDER BY seq", operation: "load scim resources") {
                ScimResourceRecord(kind: $0.text(0), id: $0.text(1), body: $0.blob(2), updatedAt: $0.date(3))
            }
        }
    }

    public func saveScimChange(_ change: ScimChangeRecord) throws(StoreError) {
        try saveScimChanges([change])
    }

    public func saveScimChanges(_ changes: [ScimChangeRecord]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        try performTransaction("save scim change") { (connection) throws(StoreError) in
            for change in changes { try Self.write(change, on: connection) }
        }
    }

    /// One change's rows, inside the caller's transaction.
    private static func write(_ change: ScimChangeRecord, on connection: SQLiteConnection) throws(StoreError) {
        for record in change.upserts {
            try connection.run("""
                INSERT INTO scim_resource (kind, id, body, updated_at_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms
                """, [.text(record.kind), .text(record.id), .blob(record.body), .integer(StoreTime.milliseconds(record.updatedAt))],
                operation: "save scim change")
        }
        for delete in change.deletes {
            try connection.run("DELETE FROM scim_resource WHERE kind = ? AND id = ?", [.text(delete.kind), .text(delete.id)],
                               operation: "save scim change")
        }
        let audit = change.audit
        try connection.run("""
            INSERT INTO directory_audit (at_ms, actor, operation, kind, resource_id, detail) VALUES (?, ?, ?, ?, ?, ?)
            """, [.integer(StoreTime.milliseconds(audit.at)), .text(audit.actor), .text(audit.operation), .text(audit.kind),
                  .text(audit.resourceID), .blob(audit.detail)], operation: "save scim change")
    }

    public func directoryVersion() throws(StoreError) -> Int64 {
        try perform("read directory version") { (connection) throws(StoreError) in
            try connection.firstRow("SELECT count(*) FROM directory_audit", operation: "read directory version") { $0.int64(0) } ?? 0
        }
    }

    public func directoryAudit(limit: Int) throws(StoreError) -> [DirectoryAuditRecord] {
        let bounded = min(max(limit, 1), StoreLimits.maxPageSize)
        return try perform("read directory audit") { (connection) throws(StoreError) in
            try connection.rows("""
                SELECT at_ms, actor, operation, kind, resource_id, detail FROM directory_audit ORDER BY id DESC LIMIT ?
                """, [.integer(Int64(bounded))], operation: "read directory audit") {
                DirectoryAuditRecord(at: $0.date(0), actor: $0.text(1), operation: $0.text(2), kind: $0.text(3),
                                     resourceID: $0.text(4), detail: $0.blob(5))
            }
        }
    }
}
