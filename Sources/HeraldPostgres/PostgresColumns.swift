import Foundation
import HeraldStore

/// How store records map to PostgreSQL columns. The schema mirrors SQLite's
/// (`HeraldStore/Migrations.swift`) so both stores read the same way: every time is a
/// BIGINT of milliseconds since 1970 UTC in a column ending `_ms`, every JSON document
/// the core owns is BYTEA, never parsed by SQL.
enum PostgresColumns {
    /// Nearest millisecond, as SQLite's store rounds (a whole-millisecond Date round-trips).
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ row: PostgresRow, _ column: Int) -> Date {
        Date(timeIntervalSince1970: Double(row.int64(column)) / 1000)
    }

    static func time(_ date: Date) -> PostgresValue { .integer(milliseconds(date)) }

    /// The `recipients` column: a JSON array of user ids, NULL for all of the notice's.
    static func recipients(_ ids: [String]?) -> PostgresValue {
        guard let ids, let data = try? JSONEncoder().encode(ids) else { return .null }
        return .text(String(decoding: data, as: UTF8.self))
    }

    static func recipients(_ text: String?) -> [String]? {
        guard let text else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// A JSON array of strings as one parameter (`jsonb_array_elements_text($n::jsonb)`):
    /// a set of values in one statement without building SQL from them.
    static func jsonArray(_ values: some Sequence<String>) -> PostgresValue {
        let data = (try? JSONEncoder().encode(Array(values))) ?? Data("[]".utf8)
        return .text(String(decoding: data, as: UTF8.self))
    }

}

/// Outbox rows: columns, parameter values, reading.
enum OutboxColumns {
    static let names = """
        delivery_id, notification_id, target, body, recipients, created_at_ms, next_attempt_at_ms,
        attempts, last_status, last_error
        """
    static let insert = "INSERT INTO outbox (\(names)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    /// `insert` claimed by `$11` for `$12` milliseconds (see PostgresStore+Claims.swift).
    static let insertClaimed = """
        INSERT INTO outbox (\(names), claimed_by, lease_until)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, clock_timestamp() + $12::bigint * interval '1 millisecond')
        """


    static func values(_ delivery: OutboxRecord) -> [PostgresValue] {
        [.text(delivery.deliveryID), .text(delivery.notificationID), .text(delivery.target), .bytes(delivery.body),
         PostgresColumns.recipients(delivery.recipients), PostgresColumns.time(delivery.createdAt),
         PostgresColumns.time(delivery.nextAttemptAt), .integer(delivery.attempts), .integer(delivery.lastStatus),
         .text(delivery.lastError)]
    }

    /// A row selected with `names`; no notice (see `NoticeReader`).
    static func record(_ row: PostgresRow) -> OutboxRecord {
        OutboxRecord(deliveryID: row.text(0), notificationID: row.text(1), target: row.text(2), body: row.optionalBytes(3),
                     recipients: PostgresColumns.recipients(row.optionalText(4)),
                     createdAt: PostgresColumns.date(row, 5), nextAttemptAt: PostgresColumns.date(row, 6),
                     attempts: row.int(7), lastStatus: row.optionalInt(8), lastError: row.optionalText(9))
    }
}

/// Dead-letter rows.
enum DeadLetterColumns {
    static let names = """
        delivery_id, notification_id, target, body, recipients, created_at_ms, attempts, last_status, last_error,
        response_excerpt, dead_at_ms
        """
    static let insert = "INSERT INTO dead_letter (\(names)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"


    static func values(_ dead: DeadLetterRecord) -> [PostgresValue] {
        [.text(dead.deliveryID), .text(dead.notificationID), .text(dead.target), .bytes(dead.body),
         PostgresColumns.recipients(dead.recipients), PostgresColumns.time(dead.createdAt), .integer(dead.attempts),
         .integer(dead.lastStatus), .text(dead.lastError), .bytes(dead.responseExcerpt), PostgresColumns.time(dead.deadAt)]
    }

    static func record(_ row: PostgresRow, from first: Int) -> DeadLetterRecord {
        DeadLetterRecord(deliveryID: row.text(first), notificationID: row.text(first + 1), target: row.text(first + 2),
                         body: row.optionalBytes(first + 3), recipients: PostgresColumns.recipients(row.optionalText(first + 4)),
                         createdAt: PostgresColumns.date(row, first + 5), attempts: row.int(first + 6),
                         lastStatus: row.optionalInt(first + 7), lastError: row.text(first + 8),
                         responseExcerpt: row.optionalBytes(first + 9), deadAt: PostgresColumns.date(row, first + 10))
    }
}

/// Audit rows.
enum AuditColumns {
    static let names = "id, notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed"

    static func entry(_ row: PostgresRow) -> AuditEntry {
        AuditEntry(cursor: row.int64(0), record: AuditRecord(
            notificationID: row.text(1), ruleID: row.text(2), subjectID: row.text(3), transition: row.text(4),
            tier: row.optionalText(5), createdAt: PostgresColumns.date(row, 6), payload: row.bytes(7),
            suppressed: row.optionalText(8)))
    }
}

/// The notices of rows without a body of their own, each read once per fetch, all in one
/// query (as SQLite's store does: a join would read one fan-out's payload once per row).
enum NoticeReader {
    static let select = """
        SELECT notification_id, payload, created_at_ms FROM audit
        WHERE notification_id IN (SELECT jsonb_array_elements_text($1::jsonb))
        """

    /// `rows` with `notice` set on those that have no body (nil when the notice is gone).
    static func attach<Row>(_ rows: [Row], _ connection: PostgresConnection, operation: String,
                            body: KeyPath<Row, Data?>, id: KeyPath<Row, String>,
                            notice: WritableKeyPath<Row, StoredNotice?>) throws(PostgresError) -> [Row] {
        let wanted = Set(rows.filter { $0[keyPath: body] == nil }.map { $0[keyPath: id] })
        guard !wanted.isEmpty else { return rows }
        let found = try connection.rows(select, [PostgresColumns.jsonArray(wanted.sorted())], operation: operation) {
            ($0.text(0), StoredNotice(payload: $0.bytes(1), createdAt: PostgresColumns.date($0, 2)))
        }
        let notices = Dictionary(found, uniquingKeysWith: { first, _ in first })
        var rows = rows
        for index in rows.indices where rows[index][keyPath: body] == nil {
            rows[index][keyPath: notice] = notices[rows[index][keyPath: id]]
        }
        return rows
    }
}
