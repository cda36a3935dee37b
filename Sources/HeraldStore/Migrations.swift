/// The database schema and how it evolves.
///
/// One file, `herald.sqlite`, in WAL mode. Every time is an INTEGER of milliseconds since
/// 1970 UTC in a column ending `_ms`; every JSON document is a BLOB of UTF-8 bytes owned
/// by the code that wrote it (the core), never parsed by SQL.
///
/// Tables (after the latest migration):
/// - `schema_version(version)` — one row: the number of migrations applied.
/// - `rule_state(rule_id, subject_id, state, seq, due_at_ms)` — the evaluator's state per
///   (rule, subject); primary key (rule_id, subject_id). A row exists only while the
///   state is not the initial one. `seq` is the row's revision (1 when inserted, +1 per
///   write); `due_at_ms` its next escalation step, indexed when set.
/// - `seen_event(event_id, seen_at_ms)` — event ids already accepted (idempotency);
///   indexed by time so pruning old ids is a range delete.
/// - `audit(id, notification_id UNIQUE, rule_id, subject_id, transition, tier,
///   created_at_ms, payload, suppressed)` — every notification decided, append-only;
///   `id` is the paging cursor; indexed by subject and by rule for filtered listings.
///   `payload` is the notice's JSON in `CompactJSON`'s stored form (JSON as it was in
///   rows from before schema 7).
/// - `outbox(id, delivery_id UNIQUE, notification_id, target, body, recipients,
///   created_at_ms, next_attempt_at_ms, attempts, last_status, last_error)` — deliveries
///   not yet done; indexed by `next_attempt_at_ms` so "what is due" is one index range,
///   and by notification. `body` is NULL (written at send time from the audit payload)
///   except on rows from before schema 5; `recipients` (JSON array of user ids) is NULL
///   when the delivery tells all of its notice's recipients.
/// - `dead_letter(id, delivery_id UNIQUE, notification_id, target, body, recipients,
///   created_at_ms, attempts, last_status, last_error, response_excerpt, dead_at_ms)` —
///   deliveries that gave up; `id` is the paging cursor; indexed by notification.
/// - `delivery_outcome(id, delivery_id, notification_id, target, outcome, attempts,
///   status, error, at_ms)` — history of deliveries leaving the outbox (`delivered`,
///   `dead_lettered`, `requeued`), indexed by notification for the audit view.
/// - `write_probe(id, at_ms)` — a single row rewritten by `checkWritable()` for /readyz.
/// - `silences(id, body, starts_at_ms, ends_at_ms, created_at_ms)` — operators' silences;
///   the body is the core's JSON, the times are copied out so SQL can select the
///   unexpired ones; indexed by end time.
/// - `scim_resource(seq, kind, id, body, updated_at_ms)` — users and groups provisioned
///   through SCIM (`kind` `User` or `Group`), the body their SCIM JSON; `seq` keeps the
///   order they were first stored in, which is their order in the directory.
/// - `directory_audit(id, at_ms, actor, operation, kind, resource_id, detail)` — every
///   SCIM change: which token made it, what it did, the resource as it became (JSON).
///
/// Migrations only go forward. Each is a list of statements applied in one transaction
/// together with the new `schema_version`, so a crash leaves the previous version intact.
/// Never edit a shipped migration: append a new one.
enum Migrations {
    /// The ordered migrations; migration `n` (1-based) brings the schema to version `n`.
    static let all: [[String]] = [
        // 1: state, idempotency, audit, outbox, dead letters.
        [
            """
            CREATE TABLE rule_state (
                rule_id TEXT NOT NULL, subject_id TEXT NOT NULL, state BLOB NOT NULL,
                PRIMARY KEY (rule_id, subject_id)) WITHOUT ROWID
            """,
            """
            CREATE TABLE seen_event (
                event_id TEXT PRIMARY KEY NOT NULL, seen_at_ms INTEGER NOT NULL) WITHOUT ROWID
            """,
            "CREATE INDEX seen_event_by_time ON seen_event (seen_at_ms)",
            """
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY, notification_id TEXT NOT NULL UNIQUE,
                rule_id TEXT NOT NULL, subject_id TEXT NOT NULL, transition TEXT NOT NULL,
                tier TEXT, created_at_ms INTEGER NOT NULL, payload BLOB NOT NULL, suppressed TEXT)
            """,
            "CREATE INDEX audit_by_subject ON audit (subject_id, id)",
            "CREATE INDEX audit_by_rule ON audit (rule_id, id)",
            """
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
                notification_id TEXT NOT NULL, target TEXT NOT NULL, body BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL, next_attempt_at_ms INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT)
            """,
            "CREATE INDEX outbox_due ON outbox (next_attempt_at_ms, id)",
            """
            CREATE TABLE dead_letter (
                id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
                notification_id TEXT NOT NULL, target TEXT NOT NULL, body BLOB NOT NULL,
                created_at_ms INTEGER NOT NULL, attempts INTEGER NOT NULL,
                last_status INTEGER, last_error TEXT NOT NULL, response_excerpt BLOB,
                dead_at_ms INTEGER NOT NULL)
            """,
        ],
        // 2: delivery history for the audit view, and the readiness probe row.
        [
            """
            CREATE TABLE delivery_outcome (
                id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL, notification_id TEXT NOT NULL,
                target TEXT NOT NULL, outcome TEXT NOT NULL, attempts INTEGER NOT NULL,
                status INTEGER, error TEXT, at_ms INTEGER NOT NULL)
            """,
            "CREATE INDEX delivery_outcome_by_notification ON delivery_outcome (notification_id, id)",
            "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL)",
        ],
        // 3: silences (issue 8), kept after they end so audit rows naming one still resolve.
        [
            """
            CREATE TABLE silences (
                id TEXT PRIMARY KEY NOT NULL, body BLOB NOT NULL, starts_at_ms INTEGER NOT NULL,
                ends_at_ms INTEGER NOT NULL, created_at_ms INTEGER NOT NULL) WITHOUT ROWID
            """,
            "CREATE INDEX silences_by_end ON silences (ends_at_ms)",
        ],
        // 4: SCIM-provisioned users and groups (issue 18) and who changed them.
        [
            """
            CREATE TABLE scim_resource (
                seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,
                updated_at_ms INTEGER NOT NULL, UNIQUE (kind, id))
            """,
            """
            CREATE TABLE directory_audit (
                id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, operation TEXT NOT NULL,
                kind TEXT NOT NULL, resource_id TEXT NOT NULL, detail BLOB NOT NULL)
            """,
        ],
        // 5: a notice's body is stored once (issue #22). Outbox and dead-letter rows no
        // longer copy the webhook body: `body` becomes optional (rows already written keep
        // theirs and are sent as they are) and `recipients` names the people a delivery
        // tells when not all of its notice's; the body is written at send time from the
        // audit payload. The indexes by notification let retention keep every notice a
        // delivery still needs.
        rebuild("outbox", """
            id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
            notification_id TEXT NOT NULL, target TEXT NOT NULL, body BLOB, recipients TEXT,
            created_at_ms INTEGER NOT NULL, next_attempt_at_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT
            """, copying: "id, delivery_id, notification_id, target, body, created_at_ms, next_attempt_at_ms, attempts, last_status, last_error")
            + [
                "CREATE INDEX outbox_due ON outbox (next_attempt_at_ms, id)",
                "CREATE INDEX outbox_by_notification ON outbox (notification_id)",
            ]
            + rebuild("dead_letter", """
            id INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
            notification_id TEXT NOT NULL, target TEXT NOT NULL, body BLOB, recipients TEXT,
            created_at_ms INTEGER NOT NULL, attempts INTEGER NOT NULL,
            last_status INTEGER, last_error TEXT NOT NULL, response_excerpt BLOB,
            dead_at_ms INTEGER NOT NULL
            """, copying: "id, delivery_id, notification_id, target, body, created_at_ms, attempts, last_status, last_error, response_excerpt, dead_at_ms")
            + ["CREATE INDEX dead_letter_by_notification ON dead_letter (notification_id)"],
        // 6: rule states carry a revision and their next escalation time (issue #20): a
        // commit is checked against the revision it was based on, and due timers are found
        // by an index instead of by every process's memory. Rows already stored start at
        // revision 1 with their due time copied out of the state.
        [
            "ALTER TABLE rule_state ADD COLUMN seq INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE rule_state ADD COLUMN due_at_ms INTEGER",
            """
            UPDATE rule_state SET due_at_ms = CAST(json_extract(CAST(state AS TEXT), '$.escalationDueAt') AS INTEGER)
            WHERE json_valid(CAST(state AS TEXT))
            """,
            "CREATE INDEX rule_state_due ON rule_state (due_at_ms) WHERE due_at_ms IS NOT NULL",
        ],
        // 7: audit payloads are stored in `CompactJSON`'s form (issue #22: ≈ 950 → 400
        // bytes a notice). No statement: rows already written stay JSON and are read as
        // they are; the new version is what makes an older Herald, which would take a
        // compact payload for a damaged one, refuse the file (`schema_too_new`).
        [],
    ]

    /// SQLite's way to change a column's constraints: a new table with the rows copied,
    /// the old one dropped, the new one renamed (its indexes are created afterwards).
    private static func rebuild(_ table: String, _ columns: String, copying copied: String) -> [String] {
        [
            "CREATE TABLE \(table)_next (\(columns))",
            "INSERT INTO \(table)_next (\(copied)) SELECT \(copied) FROM \(table)",
            "DROP TABLE \(table)",
            "ALTER TABLE \(table)_next RENAME TO \(table)",
        ]
    }

    /// The version a fresh database reaches.
    static var latestVersion: Int { all.count }

    /// Brings the database to `target` (default: latest), one transaction per migration.
    /// Throws `schema_too_new` when the file is newer than this code.
    static func migrate(_ connection: SQLiteConnection, to target: Int = latestVersion) throws(StoreError) {
        precondition((0...latestVersion).contains(target), "no migration \(target)")
        try connection.executeScript(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", operation: "migrate")
        let current = try version(connection)
        guard current <= latestVersion else {
            throw StoreError(code: .schemaTooNew, operation: "migrate",
                             message: "database schema version \(current) is newer than this Herald knows (\(latestVersion))")
        }
        guard current < target else { return }
        for version in (current + 1)...target {
            try connection.transaction(operation: "migrate to \(version)") { () throws(StoreError) in
                for sql in all[version - 1] {
                    try connection.executeScript(sql, operation: "migrate to \(version)")
                }
                try setVersion(connection, version)
            }
        }
        // The migrations' pages are copied back and the log emptied, so the log's size is
        // set by the commits that follow, not by how many migrations a fresh file took
        // (four of them left 36 pages in it, past the checkpoint threshold of small stores).
        try connection.executeScript("PRAGMA wal_checkpoint(TRUNCATE)", operation: "migrate")
    }

    /// The schema version recorded in the file; 0 for a fresh file.
    static func version(_ connection: SQLiteConnection) throws(StoreError) -> Int {
        try connection.firstRow("SELECT version FROM schema_version", operation: "read schema version") {
            $0.int(0)
        } ?? 0
    }

    /// Records `version` as the only row of `schema_version`.
    static func setVersion(_ connection: SQLiteConnection, _ version: Int) throws(StoreError) {
        try connection.run("DELETE FROM schema_version", operation: "set schema version")
        try connection.run("INSERT INTO schema_version (version) VALUES (?)", [.integer(Int64(version))],
                           operation: "set schema version")
    }
}
