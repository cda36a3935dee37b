import Foundation
import HeraldStore

/// The checked rule-state writes of a commit (`RuleStateWrites`) as few statements as
/// their key order allows, queued on a pipeline.
///
/// Why: a group commit of a few hundred events writes about as many rule-state rows, and
/// one statement per row kept the server busy executing statements (measured: ~1.5 row
/// writes per ingested event; Benchmarks/limits.md).
///
/// What must not change: rows are written — and so locked — strictly in key order, so
/// two instances committing overlapping subjects wait for each other instead of
/// deadlocking; and every row is checked against the revision it was based on. A row
/// written once in the group (new revision = base + 1, nearly all of them) can be
/// checked by a multi-row upsert, whose `ON CONFLICT … WHERE` sees the proposed row:
/// `rule_state.seq = excluded.seq - 1`. A row written several times in the group (its
/// base is further back) and a delete keep their one-row statements. Consecutive
/// single-step rows form one statement; the statements follow the key order, and
/// `unnest` yields each statement's rows in it.
enum CommitRuleStates {
    /// Rows whose new revision is their base + 1, taken in the order given (key order).
    /// A row not written was stale — its stored revision was not the base, with base 0 a
    /// row existed, or with a base a row no longer exists (another instance deleted it:
    /// the writer's memory of it is stale, so it is not inserted again) — and the first
    /// such row in the given order raises HR409 naming it (`PostgresSchema` migration 7),
    /// so the server skips the rest of the commit.
    ///
    /// The `OFFSET 0` keeps the existence check a probe of the primary key per row: without
    /// it PostgreSQL may turn the EXISTS into a hashed subplan, reading the whole table into
    /// a hash on every commit (measured: 2 ms of a 2.5 ms group commit with 5,000 subjects,
    /// growing with the table; Benchmarks/limits.md).
    static let upsertNextRevisions = """
        WITH u AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS u(r, s, st, q, d, o)),
        w AS (
            INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms)
            SELECT r, s, st, q, d FROM u
            WHERE u.q = 1 OR EXISTS (SELECT 1 FROM rule_state x WHERE x.rule_id = u.r AND x.subject_id = u.s OFFSET 0)
            ORDER BY o
            ON CONFLICT (rule_id, subject_id) DO UPDATE SET state = excluded.state, seq = excluded.seq,
                due_at_ms = excluded.due_at_ms
            WHERE rule_state.seq = excluded.seq - 1
            RETURNING rule_id, subject_id)
        SELECT herald_conflict(\(staleMessage("r", "s", "q - 1"))) FROM (
            SELECT r, s, q FROM u WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.rule_id = u.r AND w.subject_id = u.s)
            ORDER BY o LIMIT 1) stale
        """

    /// A new row (base 0): none is inserted when one exists (ON CONFLICT waits for a
    /// transaction inserting the same key); then the base was stale and it raises HR409.
    static let insertRuleState = """
        WITH w AS (
            INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (rule_id, subject_id) DO NOTHING RETURNING 1)
        SELECT herald_conflict(\(staleMessage("$1::text", "$2::text", "0"))) WHERE NOT EXISTS (SELECT 1 FROM w)
        """
    /// The stored row, if its revision is still the base ($6); else (the base was stale,
    /// or the row is gone: another instance deleted it) it raises HR409.
    static let updateRuleState = """
        WITH w AS (
            UPDATE rule_state SET state = $3, seq = $4, due_at_ms = $5 WHERE rule_id = $1 AND subject_id = $2 AND seq = $6
            RETURNING 1)
        SELECT herald_conflict(\(staleMessage("$1::text", "$2::text", "$6::bigint"))) WHERE NOT EXISTS (SELECT 1 FROM w)
        """
    static let deleteRuleState = """
        WITH w AS (DELETE FROM rule_state WHERE rule_id = $1 AND subject_id = $2 AND seq = $3 RETURNING 1)
        SELECT herald_conflict(\(staleMessage("$1::text", "$2::text", "$3::bigint"))) WHERE NOT EXISTS (SELECT 1 FROM w)
        """

    /// The SQL of `RuleStateWrites.conflict(key, stored: nil, based:)`'s message, from
    /// the SQL expressions of the key and the base revision.
    private static func staleMessage(_ rule: String, _ subject: String, _ base: String) -> String {
        """
        format('rule state (%s, %s) changed since it was read: based on %s, found another revision', \(rule), \(subject), \
        CASE WHEN \(base) = 0 THEN 'no row' ELSE 'revision ' || (\(base)) END)
        """
    }

    /// The keys a commit wrote, one row per transaction, for the feed of writes
    /// (`PostgresStore.ruleStateChanges`); its time is when the commit is about to end
    /// (the log is pruned by age, `PostgresStore.pruneRuleStateLog`).
    static let logWrites = """
        INSERT INTO rule_state_change (rule_ids, subject_ids, at_ms, writer)
        VALUES ($1::text[], $2::text[], (extract(epoch FROM clock_timestamp()) * 1000)::bigint, $3)
        """

    /// Queues the feed's log row of `writes` (the rows written, not the deletes: a
    /// deleted row has nothing to read), marked as `writer`'s; nothing when no row is written.
    static func queueLog(_ writes: RuleStateWrites, writer: String, on pipeline: inout PostgresPipeline) {
        let written = writes.rows.filter { $0.final != nil }.map(\.key)
        guard !written.isEmpty else { return }
        pipeline.append(logWrites, [PostgresArray.text(written.map(\.ruleID)), PostgresArray.text(written.map(\.subjectID)),
                                    .text(writer)], operation: "commit rule state log")
    }

    /// One queued statement and the rows (key order) it writes.
    struct Queued {
        let rows: [RuleStateWrites.Row]
        /// True for `upsertNextRevisions`, false for a one-row statement.
        let multiRow: Bool
    }

    /// Queues every row of `writes` that writes something, in key order; returns the
    /// statements' shape (what `CommitRuleStatesTests` pins).
    @discardableResult
    static func queue(_ writes: RuleStateWrites, on pipeline: inout PostgresPipeline) -> [Queued] {
        var queued: [Queued] = []
        var run: [RuleStateWrites.Row] = []
        func flush() {
            guard !run.isEmpty else { return }
            pipeline.append(upsertNextRevisions, values(run), operation: "commit rule states")
            queued.append(Queued(rows: run, multiRow: true))
            run = []
        }
        for row in writes.rows {
            if let state = row.final, state.revision == row.base + 1 {
                run.append(row)
                continue
            }
            flush()
            if let single = oneRow(row) {
                pipeline.append(single.sql, single.values, operation: "commit rule state")
                queued.append(Queued(rows: [row], multiRow: false))
            }
        }
        flush()
        return queued
    }

    /// The one-row statement of a chained upsert or a delete (nil: a delete of a row
    /// that was never stored writes nothing).
    private static func oneRow(_ row: RuleStateWrites.Row) -> (sql: String, values: [PostgresValue])? {
        let key = row.key
        if let state = row.final {
            let values: [PostgresValue] = [.text(key.ruleID), .text(key.subjectID), .bytes(state.state), .integer(state.revision),
                                           state.dueAt.map(PostgresColumns.time) ?? .null]
            return row.base == 0 ? (insertRuleState, values)
                                 : (updateRuleState, values + [.integer(row.base)])
        }
        guard row.base > 0 else { return nil }
        return (deleteRuleState, [.text(key.ruleID), .text(key.subjectID), .integer(row.base)])
    }

    private static func values(_ rows: [RuleStateWrites.Row]) -> [PostgresValue] {
        let states = rows.compactMap(\.final)
        return [PostgresArray.text(rows.map(\.key.ruleID)), PostgresArray.text(rows.map(\.key.subjectID)),
                PostgresArray.bytes(states.map(\.state)), PostgresArray.int64(states.map(\.revision)),
                PostgresArray.int64(states.map { $0.dueAt.map(PostgresColumns.milliseconds) })]
    }
}
