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
    /// Rows whose new revision is their base + 1; each row written comes back. A row not
    /// returned was stale: its stored revision was not the base, with base 0 a row
    /// existed, or with a base a row no longer exists (another instance deleted it: the
    /// writer's memory of it is stale, so it is not inserted again). Rows are taken in
    /// the order given (key order).
    static let upsertNextRevisions = """
        INSERT INTO rule_state (rule_id, subject_id, state, seq, due_at_ms)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[]) AS u(r, s, st, q, d)
        WHERE u.q = 1 OR EXISTS (SELECT 1 FROM rule_state x WHERE x.rule_id = u.r AND x.subject_id = u.s)
        ON CONFLICT (rule_id, subject_id) DO UPDATE SET state = excluded.state, seq = excluded.seq,
            due_at_ms = excluded.due_at_ms, changed_xid = pg_current_xact_id()
        WHERE rule_state.seq = excluded.seq - 1
        RETURNING rule_id, subject_id
        """

    /// One queued statement and the rows (key order) it answers for.
    struct Queued {
        let index: Int
        let rows: [RuleStateWrites.Row]
        /// True for `upsertNextRevisions` (answers with the keys written), false for a
        /// one-row statement (answers with its count).
        let multiRow: Bool
    }

    /// Queues every row of `writes` that writes something, in key order.
    static func queue(_ writes: RuleStateWrites, on pipeline: inout PostgresPipeline) -> [Queued] {
        var queued: [Queued] = []
        var run: [RuleStateWrites.Row] = []
        func flush() {
            guard !run.isEmpty else { return }
            queued.append(Queued(index: pipeline.append(upsertNextRevisions, values(run), operation: "commit rule states"),
                                 rows: run, multiRow: true))
            run = []
        }
        for row in writes.rows {
            if let state = row.final, state.revision == row.base + 1 {
                run.append(row)
                continue
            }
            flush()
            if let single = oneRow(row) {
                queued.append(Queued(index: pipeline.append(single.sql, single.values, operation: "commit rule state"),
                                     rows: [row], multiRow: false))
            }
        }
        flush()
        return queued
    }

    /// The first row, in key order, that its statement did not write (stale), or nil.
    /// Throws the statement's failure when it failed before any stale row was found.
    static func firstStale(_ queued: [Queued],
                           _ outcomes: [Result<PostgresResult, PostgresError>]) throws(PostgresError) -> RuleStateWrites.Row? {
        for statement in queued {
            let result = try outcomes[statement.index].get()
            guard statement.multiRow else {
                if result.affectedRows != 1 { return statement.rows[0] }
                continue
            }
            guard result.affectedRows < statement.rows.count else { continue }
            let written = Set(result.rows { RuleStateRowKey(ruleID: $0.text(0), subjectID: $0.text(1)) })
            if let stale = statement.rows.first(where: { !written.contains($0.key) }) { return stale }
        }
        return nil
    }

    /// The one-row statement of a chained upsert or a delete (nil: a delete of a row
    /// that was never stored writes nothing).
    private static func oneRow(_ row: RuleStateWrites.Row) -> (sql: String, values: [PostgresValue])? {
        let key = row.key
        if let state = row.final {
            let values: [PostgresValue] = [.text(key.ruleID), .text(key.subjectID), .bytes(state.state), .integer(state.revision),
                                           state.dueAt.map(PostgresColumns.time) ?? .null]
            return row.base == 0 ? (CommitStatements.insertRuleState, values)
                                 : (CommitStatements.updateRuleState, values + [.integer(row.base)])
        }
        guard row.base > 0 else { return nil }
        return (CommitStatements.deleteRuleState, [.text(key.ruleID), .text(key.subjectID), .integer(row.base)])
    }

    private static func values(_ rows: [RuleStateWrites.Row]) -> [PostgresValue] {
        let states = rows.compactMap(\.final)
        return [PostgresArray.text(rows.map(\.key.ruleID)), PostgresArray.text(rows.map(\.key.subjectID)),
                PostgresArray.bytes(states.map(\.state)), PostgresArray.int64(states.map(\.revision)),
                PostgresArray.int64(states.map { $0.dueAt.map(PostgresColumns.milliseconds) })]
    }
}
