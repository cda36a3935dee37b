public import Foundation
public import HeraldStore

/// The columns a rule state is read with, in this order.
enum RuleStateColumns {
    static let names = "rule_id, subject_id, state, seq, due_at_ms"

    /// `names` qualified by a table alias (for joins).
    static func names(_ alias: String) -> String {
        names.split(separator: ", ").map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    static func record(_ row: PostgresRow) -> RuleStateRecord {
        RuleStateRecord(ruleID: row.text(0), subjectID: row.text(1), state: row.bytes(2), revision: row.int64(3),
                        dueAt: row.isNull(4) ? nil : PostgresColumns.date(row, 4))
    }
}

/// Re-reading what another instance may have changed (issue #20): the rows a conflict
/// named, the timers due, the event ids already claimed.
extension PostgresStore {
    /// The stored rows of `keys` (absent ones left out), ordered by key (byte order).
    public func ruleStates(_ keys: [RuleStateRowKey]) throws(StoreError) -> [RuleStateRecord] {
        guard !keys.isEmpty else { return [] }
        let rules = PostgresColumns.jsonArray(keys.map(\.ruleID)), subjects = PostgresColumns.jsonArray(keys.map(\.subjectID))
        return try read("read rule states") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT \(RuleStateColumns.names) FROM rule_state
                WHERE (rule_id, subject_id) IN (
                    SELECT r, s FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS a(r, i)
                    JOIN jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS b(s, j) ON i = j)
                ORDER BY rule_id, subject_id
                """, [rules, subjects], operation: "read rule states", RuleStateColumns.record)
        }
    }

    /// Rule states whose escalation falls due at or before `before`, earliest first.
    public func dueRuleStates(before: Date, limit: Int) throws(StoreError) -> [RuleStateRecord] {
        try read("read due rule states") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT \(RuleStateColumns.names) FROM rule_state WHERE due_at_ms IS NOT NULL AND due_at_ms <= $1
                ORDER BY due_at_ms LIMIT $2
                """, [PostgresColumns.time(before), .integer(max(1, min(limit, StoreLimits.maxRuleStatesPerRead)))],
                operation: "read due rule states", RuleStateColumns.record)
        }
    }

    /// Which of `ids` are stored as seen (whatever their age), ordered by id.
    public func seenEvents(_ ids: [String]) throws(StoreError) -> [SeenEventRecord] {
        guard !ids.isEmpty else { return [] }
        return try read("read seen events") { (connection) throws(PostgresError) in
            try connection.rows("""
                SELECT event_id, seen_at_ms FROM seen_event
                WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY event_id COLLATE "C"
                """, [PostgresColumns.jsonArray(ids)], operation: "read seen events") {
                SeenEventRecord(eventID: $0.text(0), seenAt: PostgresColumns.date($0, 1))
            }
        }
    }
}

/// Following the other instances' writes: every commit that writes rule states logs
/// their keys in one row numbered by its transaction (`rule_state_change`, xid8; schema
/// 7). A reader asks for the keys after its position in (transaction, key) order, page by
/// page, and reads their rows. A transaction numbered below the position may still be
/// running when the reader moves past it, and commit later: the reader keeps those
/// transactions (`pending`, from the snapshot's list of running ones) and reads their
/// keys by number once they have finished. Each read runs in one REPEATABLE READ
/// snapshot, so "finished" and "rows visible" agree. A long transaction elsewhere (a
/// backup) does not hold the feed back.
///
/// Why a log and not a column on the row: an index on a column every update changes
/// made every rule-state update a non-HOT one (both indexes written, ≈ 20 % more WAL per
/// event, Benchmarks/limits.md); one log row per commit costs one small insert.
///
/// An instance skips the keys it logged itself (`writer`, schema 8): its memory made
/// those rows, and reading them back every second put tens of milliseconds of reads on
/// its evaluation queue under load, for nothing.
///
/// The log is pruned by age (`ruleStateLogRetention`, by the retention leader). A reader
/// that read nothing for longer than that (paused, cut off) may have missed keys: it is
/// told so by the time of its last read (`RuleStateCursor.readAt`) against the newest
/// pruned row, and gets every stored row once instead — never fewer rows.
extension PostgresStore {
    /// How long the keys of a commit stay in the log: a reader polling every second is
    /// far inside it; one that stalls longer re-reads every row once.
    static let ruleStateLogRetention: TimeInterval = 120
    /// How much later than its log row a transaction may commit and still be told apart
    /// from a pruned one (a commit's log row is among its last statements).
    static let ruleStateLogCommitSlack: TimeInterval = 60

    /// The database clock in milliseconds, as the log's times are written.
    static let databaseMilliseconds = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    public func ruleStateCursor() throws(StoreError) -> RuleStateCursor {
        try snapshotRead("read rule state cursor") { (connection) throws(PostgresError) in
            // A load made after this call sees every logged transaction up to the newest
            // visible now that is not running; the running ones come through `pending`,
            // the later ones through the feed.
            try Self.positionAfterTheLog(connection, running: try Self.runningTransactions(connection), readAt: try Self.clock(connection))
        }
    }

    /// A position after every logged transaction visible in this snapshot (the next
    /// transaction number, from its first key), with the running ones below it pending:
    /// a load made after this reads everything before it.
    /// `running`: the snapshot's running transactions (`runningTransactions`).
    private static func positionAfterTheLog(_ connection: PostgresConnection, running: [Int64],
                                            readAt: Int64) throws(PostgresError) -> RuleStateCursor {
        let newest = try connection.firstRow("SELECT xid::text FROM rule_state_change ORDER BY xid DESC LIMIT 1",
                                             operation: "read rule state cursor") { $0.int64(0) } ?? 0
        return RuleStateCursor(transaction: newest + 1, pending: running.filter { $0 <= newest }.sorted(), readAt: readAt)
    }

    public func ruleStateChanges(after cursor: RuleStateCursor, limit: Int) throws(StoreError) -> RuleStateChanges {
        let limit = max(1, min(limit, StoreLimits.maxRuleStatesPerRead))
        return try snapshotRead("read rule state changes") { (connection) throws(PostgresError) in
            let now = try Self.clock(connection)
            let running = try Self.runningTransactions(connection)
            if try Self.missedPrunedKeys(cursor, connection) {
                return try everyRow(connection, running: running, now: now)
            }
            var rows: [RuleStateRecord] = []
            if !cursor.pending.isEmpty {
                rows += try connection.rows("""
                    SELECT \(RuleStateColumns.names("t")) FROM rule_state_change c,
                        unnest(c.rule_ids, c.subject_ids) AS k(r, s) JOIN rule_state t ON t.rule_id = k.r AND t.subject_id = k.s
                    WHERE c.xid IN (SELECT x::xid8 FROM unnest($1::text[]) AS u(x)) AND c.writer <> $2
                    """, [PostgresArray.text(cursor.pending.map(String.init)), .text(instanceID)], operation: "read rule state changes",
                    RuleStateColumns.record)
            }
            var position = cursor
            position.readAt = now
            var keys = 0
            try connection.rows("""
                SELECT \(RuleStateColumns.names("t")), k.x::text, k.r, k.s, t.rule_id IS NULL FROM (
                    SELECT c.xid AS x, u.r, u.s FROM rule_state_change c, unnest(c.rule_ids, c.subject_ids) AS u(r, s)
                    WHERE c.xid >= $1::text::xid8 AND c.writer <> $5
                      AND (c.xid, u.r COLLATE "C", u.s COLLATE "C") > ($1::text::xid8, $2::text COLLATE "C", $3::text COLLATE "C")
                    ORDER BY c.xid, u.r COLLATE "C", u.s COLLATE "C" LIMIT $4) k
                LEFT JOIN rule_state t ON t.rule_id = k.r AND t.subject_id = k.s
                ORDER BY k.x, k.r COLLATE "C", k.s COLLATE "C"
                """, [.integer(cursor.transaction), .text(cursor.ruleID), .text(cursor.subjectID), .integer(limit), .text(instanceID)],
                operation: "read rule state changes") { row in
                keys += 1
                // A key whose row is gone (deleted since) moves the position and yields nothing.
                if row.text(8) != "t" { rows.append(RuleStateColumns.record(row)) }
                position.transaction = row.int64(5)
                position.ruleID = row.text(6)
                position.subjectID = row.text(7)
            }
            // Every other instance's key visible in this snapshot was read: the position
            // moves past this instance's own logged commits too, so the next read does not
            // walk them again.
            if keys < limit {
                return RuleStateChanges(rows: rows, next: try Self.positionAfterTheLog(connection, running: running, readAt: now))
            }
            // Still running below the position: their keys may yet come. Finished ones
            // were read above, in this snapshot, and are dropped.
            position.pending = running.filter { $0 < position.transaction }.sorted()
            return RuleStateChanges(rows: rows, next: position)
        }
    }

    /// Whether keys written after `cursor` may have left the log before this reader read
    /// them: the newest pruned log row is not well before the reader's last read.
    private static func missedPrunedKeys(_ cursor: RuleStateCursor, _ connection: PostgresConnection) throws(PostgresError) -> Bool {
        let prunedThrough = try connection.firstRow("SELECT through_ms FROM rule_state_change_pruned WHERE id = 1",
                                                    operation: "read rule state changes") { $0.int64(0) } ?? 0
        return prunedThrough > 0 && prunedThrough >= cursor.readAt - Int64(ruleStateLogCommitSlack * 1000)
    }

    /// Every stored row, and a position after every logged transaction (as
    /// `ruleStateCursor`): what a reader that missed pruned keys reads once.
    private func everyRow(_ connection: PostgresConnection, running: [Int64], now: Int64) throws(PostgresError) -> RuleStateChanges {
        let next = try Self.positionAfterTheLog(connection, running: running, readAt: now)
        let rows = try connection.rows("SELECT \(RuleStateColumns.names) FROM rule_state ORDER BY rule_id, subject_id",
                                       operation: "read rule state changes", RuleStateColumns.record)
        return RuleStateChanges(rows: rows, next: next)
    }

    /// `body` in one read-only REPEATABLE READ transaction: one snapshot for all it reads.
    private func snapshotRead<T>(_ operation: String, _ body: (PostgresConnection) throws(PostgresError) -> T) throws(StoreError) -> T {
        try mapped { () throws(PostgresError) in
            try pool.transaction(operation: operation) { (connection) throws(PostgresError) in
                try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", operation: operation)
                return try body(connection)
            }
        }
    }

    /// Removes up to `limit` log rows older than `ruleStateLogRetention` (database clock)
    /// and records the newest time removed, so readers behind it know. Returns the rows
    /// removed.
    func pruneRuleStateLog(limit: Int, _ connection: PostgresConnection) throws(PostgresError) -> Int {
        try connection.firstRow("""
            WITH gone AS (
                DELETE FROM rule_state_change WHERE xid IN (
                    SELECT xid FROM rule_state_change WHERE at_ms < \(Self.databaseMilliseconds) - $1 ORDER BY xid LIMIT $2)
                RETURNING at_ms),
            moved AS (
                UPDATE rule_state_change_pruned SET through_ms = greatest(through_ms, (SELECT max(at_ms) FROM gone))
                WHERE id = 1 AND EXISTS (SELECT 1 FROM gone))
            SELECT count(*) FROM gone
            """, [.integer(Int64(Self.ruleStateLogRetention * 1000)), .integer(Int64(limit))],
            operation: "prune rule state log") { $0.int(0) } ?? 0
    }

    /// The database clock in milliseconds.
    private static func clock(_ connection: PostgresConnection) throws(PostgresError) -> Int64 {
        try connection.firstRow("SELECT \(databaseMilliseconds)", operation: "read the clock") { $0.int64(0) } ?? 0
    }

    /// The transactions running at this transaction's snapshot (`pg_snapshot_xip`).
    private static func runningTransactions(_ connection: PostgresConnection) throws(PostgresError) -> [Int64] {
        try connection.rows("SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x",
                            operation: "read rule state changes") { $0.int64(0) }
    }
}
