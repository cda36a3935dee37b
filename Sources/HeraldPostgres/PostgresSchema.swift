import HeraldStore

/// The PostgreSQL schema and how it evolves, and the guard that keeps an old and a new
/// Herald from both writing to it.
///
/// Tables mirror SQLite's (`HeraldStore/Migrations.swift` describes each); ids that page
/// listings are identity columns, text keys compare byte-wise (`COLLATE "C"`) so orders
/// match SQLite's whatever the database's locale.
///
/// **Migrations** run at open, all pending ones in ONE transaction under a transaction
/// advisory lock (`migrationLock`): instances starting together migrate once, the others
/// wait and find the work done; a failure leaves the previous version intact (PostgreSQL's
/// DDL is transactional). A database newer than the code is refused (`schema_too_new`).
///
/// **Guard** (GoAlert's `engine_processing_versions` idea): every write transaction first
/// reads `herald_schema.version` `FOR SHARE` and refuses unless it is this code's version.
/// A migration updates that row, so it waits for the writes in flight, and every write an
/// old binary starts afterwards sees the new version and fails with `schema_too_new`
/// (503 and /readyz not ready) instead of writing rows the new schema does not expect.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` key of the migration ("HRLD" in ASCII): an arbitrary
    /// constant that other applications sharing the database are unlikely to use.
    static let migrationLock: Int64 = 0x4852_4C44

    /// The ordered migrations; migration `n` (1-based) brings the schema to version `n`.
    /// Never edit a shipped migration: append a new one.
    static let all: [[String]] = [
        // 1: everything SQLite's schema 5 holds.
        [
            """
            CREATE TABLE rule_state (
                rule_id TEXT COLLATE "C" NOT NULL, subject_id TEXT COLLATE "C" NOT NULL, state BYTEA NOT NULL,
                PRIMARY KEY (rule_id, subject_id))
            """,
            "CREATE TABLE seen_event (event_id TEXT PRIMARY KEY, seen_at_ms BIGINT NOT NULL)",
            "CREATE INDEX seen_event_by_time ON seen_event (seen_at_ms)",
            """
            CREATE TABLE audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, notification_id TEXT NOT NULL UNIQUE,
                rule_id TEXT NOT NULL, subject_id TEXT NOT NULL, transition TEXT NOT NULL, tier TEXT,
                created_at_ms BIGINT NOT NULL, payload BYTEA NOT NULL, suppressed TEXT)
            """,
            "CREATE INDEX audit_by_subject ON audit (subject_id, id)",
            "CREATE INDEX audit_by_rule ON audit (rule_id, id)",
            """
            CREATE TABLE outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
                notification_id TEXT NOT NULL, target TEXT NOT NULL, body BYTEA, recipients TEXT,
                created_at_ms BIGINT NOT NULL, next_attempt_at_ms BIGINT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT)
            """,
            "CREATE INDEX outbox_due ON outbox (next_attempt_at_ms, id)",
            "CREATE INDEX outbox_by_notification ON outbox (notification_id)",
            """
            CREATE TABLE dead_letter (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, delivery_id TEXT NOT NULL UNIQUE,
                notification_id TEXT NOT NULL, target TEXT NOT NULL, body BYTEA, recipients TEXT,
                created_at_ms BIGINT NOT NULL, attempts INTEGER NOT NULL, last_status INTEGER,
                last_error TEXT NOT NULL, response_excerpt BYTEA, dead_at_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX dead_letter_by_notification ON dead_letter (notification_id)",
            """
            CREATE TABLE delivery_outcome (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, delivery_id TEXT NOT NULL,
                notification_id TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL,
                attempts INTEGER NOT NULL, status INTEGER, error TEXT, at_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX delivery_outcome_by_notification ON delivery_outcome (notification_id, id)",
            "CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms BIGINT NOT NULL)",
            """
            CREATE TABLE silences (
                id TEXT COLLATE "C" PRIMARY KEY, body BYTEA NOT NULL, starts_at_ms BIGINT NOT NULL,
                ends_at_ms BIGINT NOT NULL, created_at_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX silences_by_end ON silences (ends_at_ms)",
            """
            CREATE TABLE scim_resource (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL,
                body BYTEA NOT NULL, updated_at_ms BIGINT NOT NULL, UNIQUE (kind, id))
            """,
            """
            CREATE TABLE directory_audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT NOT NULL,
                operation TEXT NOT NULL, kind TEXT NOT NULL, resource_id TEXT NOT NULL, detail BYTEA NOT NULL)
            """,
        ],
        // 2: outbox claims (SCALEOUT.md A5.3): which instance holds a row and until when
        // (the database's clock), so several instances never send a row at once.
        [
            "ALTER TABLE outbox ADD COLUMN claimed_by TEXT, ADD COLUMN lease_until TIMESTAMPTZ",
        ],
        // 3: who leads each maintenance task (River's leader table): retention runs on one
        // instance at a time.
        [
            "CREATE TABLE herald_leader (task TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)",
        ],
        // 4: which config each running instance has (its hash and last heartbeat), so
        // /readyz and a metric can say when instances disagree.
        [
            "CREATE TABLE herald_instance (instance TEXT PRIMARY KEY, config_hash TEXT NOT NULL, seen_at TIMESTAMPTZ NOT NULL)",
        ],
        // 5: rule states carry a revision and their next escalation time: every write is
        // checked against the revision it was based on (instances never build on stale
        // memory), and any instance finds due timers by an index (SQLite's migration 6).
        [
            "ALTER TABLE rule_state ADD COLUMN seq BIGINT NOT NULL DEFAULT 1, ADD COLUMN due_at_ms BIGINT",
            """
            UPDATE rule_state SET due_at_ms = (convert_from(state, 'UTF8')::jsonb ->> 'escalationDueAt')::double precision::bigint
            WHERE convert_from(state, 'UTF8')::jsonb ? 'escalationDueAt'
            """,
            "CREATE INDEX rule_state_due ON rule_state (due_at_ms) WHERE due_at_ms IS NOT NULL",
        ],
        // 6: which transaction last wrote each rule state, so instances can follow the
        // writes of the others (`ruleStateChanges`) and keep their memory fresh.
        [
            "ALTER TABLE rule_state ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()",
            "CREATE INDEX rule_state_changes ON rule_state (changed_xid, rule_id, subject_id)",
        ],
        // 7: rule-state updates that stay HOT (Benchmarks/limits.md, issue #20): the feed
        // of writes reads a log of written keys, one row per commit (`rule_state_change`),
        // instead of an index on a column every update changed.
        [
            "DROP INDEX rule_state_changes",
            "ALTER TABLE rule_state DROP COLUMN changed_xid",
            """
            CREATE TABLE rule_state_change (
                xid xid8 PRIMARY KEY DEFAULT pg_current_xact_id(), rule_ids TEXT[] NOT NULL, subject_ids TEXT[] NOT NULL,
                at_ms BIGINT NOT NULL)
            """,
            "CREATE TABLE rule_state_change_pruned (id INTEGER PRIMARY KEY CHECK (id = 1), through_ms BIGINT NOT NULL)",
            "INSERT INTO rule_state_change_pruned (id, through_ms) VALUES (1, 0)",
        ],
        // 8: which instance logged each commit's keys, so an instance's feed skips its own
        // writes (its memory made them) instead of reading every row it wrote back.
        [
            "ALTER TABLE rule_state_change ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
        ],
    ]

    /// SQLSTATE of `herald_conflict`: a checked write found a row changed since it was
    /// read or an event id already stored (class "HR": Herald's own, outside the standard's).
    static let conflictState = "HR409"
    /// SQLSTATE of `herald_require_schema` refusing: the schema is not this code's.
    static let schemaState = "HR426"

    /// Functions every write uses, created at open when missing, before the migrations (so
    /// a store of any schema version has them; their bodies never change — a change gets a
    /// new name — so an instance whose database user may not create functions starts once
    /// they exist):
    /// - `herald_conflict` raises HR409: a checked statement found its base stale, so the
    ///   server itself skips the rest of a commit (PostgresStore+PipelinedWrite.swift);
    /// - `herald_require_schema` is the guard: a shared advisory lock, then the version
    ///   read, raising HR426 unless it is the caller's.
    static let functions: [(signature: String, sql: String)] = [
        ("herald_conflict(text)", """
        CREATE OR REPLACE FUNCTION herald_conflict(message text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION USING ERRCODE = '\(conflictState)', MESSAGE = message; END $$
        """),
        ("herald_require_schema(integer)", """
        CREATE OR REPLACE FUNCTION herald_require_schema(expected integer) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE found integer;
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(\(guardLock));
            SELECT version INTO found FROM herald_schema WHERE id = 1;
            found := coalesce(found, 0);
            IF found > expected THEN
                RAISE EXCEPTION USING ERRCODE = '\(schemaState)', MESSAGE = format('database schema version %s is newer than this Herald''s (%s): another Herald upgraded it; this one stops writing', found, expected);
            ELSIF found < expected THEN
                RAISE EXCEPTION USING ERRCODE = '\(schemaState)', MESSAGE = format('database schema version %s is older than this Herald''s (%s)', found, expected);
            END IF;
            RETURN found;
        END $$
        """),
    ]

    /// The version a fresh database reaches.
    static var latestVersion: Int { all.count }

    static let versionTable = """
        CREATE TABLE IF NOT EXISTS herald_schema (
            id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)
        """

    /// Brings the database to `target` in one transaction; returns the version found.
    static func migrate(_ pool: PostgresPool, to target: Int = latestVersion) throws(PostgresError) -> Int {
        precondition((0...latestVersion).contains(target), "no migration \(target)")
        return try pool.transaction(operation: "migrate") { (connection) throws(PostgresError) in
            try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(migrationLock)], operation: "migrate")
            try connection.execute(versionTable, operation: "migrate")
            for function in functions {
                let missing = try connection.firstRow("SELECT to_regprocedure($1) IS NULL", [.text(function.signature)],
                                                      operation: "migrate") { $0.text(0) == "t" } ?? true
                if missing { try connection.execute(function.sql, operation: "migrate") }
            }
            let current = try version(connection)
            guard current <= latestVersion else {
                throw PostgresError(sqlState: nil, message: "database schema version \(current) is newer than this Herald knows (\(latestVersion))",
                                    operation: "migrate", kind: .schemaTooNew)
            }
            guard current < target else { return current }
            // Writers of schema 7 on hold the guard lock shared; the version row below
            // holds back those of schema 6 and before (their guard was `FOR SHARE` on it).
            try connection.run("SELECT pg_advisory_xact_lock($1)", [.integer(guardLock)], operation: "migrate")
            for version in (current + 1)...target {
                for sql in all[version - 1] { try connection.execute(sql, operation: "migrate to \(version)") }
            }
            try setVersion(connection, target)
            return current
        }
    }

    /// The recorded version; 0 for a database Herald has not written yet.
    static func version(_ connection: PostgresConnection) throws(PostgresError) -> Int {
        try connection.firstRow("SELECT version FROM herald_schema WHERE id = 1", operation: "read schema version") {
            $0.int(0)
        } ?? 0
    }

    static func setVersion(_ connection: PostgresConnection, _ version: Int) throws(PostgresError) {
        try connection.run("""
            INSERT INTO herald_schema (id, version) VALUES (1, $1)
            ON CONFLICT (id) DO UPDATE SET version = excluded.version
            """, [.integer(version)], operation: "set schema version")
    }

    /// The guard: inside a write transaction, holds `guardLock` shared and refuses unless
    /// the database is at `expected` (this code's version). Raises on the server, so in a
    /// pipeline nothing after it runs when it refuses.
    static func guardVersion(_ connection: PostgresConnection, expected: Int,
                             operation: String) throws(PostgresError) {
        _ = try connection.run(guardSQL, [.integer(Int64(expected))], operation: operation)
    }

    /// The guard's call, also queued first in a pipelined write (PostgresStore+PipelinedWrite.swift).
    /// Why an advisory lock and not `FOR SHARE` on the version row (schema 6 and before):
    /// a row lock writes a WAL record per transaction, and several transactions sharing
    /// it make a multixact; the lock table is memory only.
    static let guardSQL = "SELECT herald_require_schema($1::integer)"

    /// `pg_advisory_xact_lock` key of the guard ("HRLG"): writers hold it shared, a
    /// migration that changes the schema exclusive, so it waits for the writes in flight
    /// and the writes after it read the new version.
    static let guardLock: Int64 = 0x4852_4C47
}
