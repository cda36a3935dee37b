import Foundation
import HeraldStore

/// The rows of a commit besides rule states — seen event ids, audit records, dead
/// letters, outbox rows — as one multi-row statement per table for all the batches of a
/// group commit, queued on a pipeline.
///
/// Why: a group commit of a few hundred events wrote each row with its own statement,
/// i.e. its own round trip and its own executor start on the server. One `unnest` of
/// arrays per table is one statement however many rows (PostgresArray.swift), and the
/// pipeline sends them all at once (PostgresPipeline.swift).
///
/// Order: within each statement rows go in the batches' order (`unnest` yields the
/// arrays in order, and the audit's `id` is drawn row by row), so the audit cursor
/// reads records in commit order as with one statement per row.
enum CommitRows {
    /// The claims of event ids, in the order given (sorted, like row locks); the first id
    /// another commit (of any instance) stored first raises HR409 (the id is the primary
    /// key), so the server skips the rest of the commit.
    static let insertSeenEvents = """
        WITH u AS (SELECT * FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS u(e, t, o)),
        w AS (
            INSERT INTO seen_event (event_id, seen_at_ms) SELECT e, t FROM u ORDER BY o
            ON CONFLICT DO NOTHING RETURNING event_id)
        SELECT herald_conflict(format('event id %s was already accepted', e)) FROM (
            SELECT e FROM u WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.event_id = u.e) ORDER BY o LIMIT 1) stored
        """
    static let insertAudit = """
        INSERT INTO audit (notification_id, rule_id, subject_id, transition, tier, created_at_ms, payload, suppressed)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bytea[], $8::text[])
        ON CONFLICT (notification_id) DO NOTHING
        """
    /// Outbox rows claimed by `$11` for `$12` milliseconds, as `OutboxColumns.insertClaimed`.
    static let insertOutboxClaimed = """
        INSERT INTO outbox (\(OutboxColumns.names), claimed_by, lease_until)
        SELECT *, $11::text, clock_timestamp() + $12::bigint * interval '1 millisecond'
        FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
                    $9::bigint[], $10::text[])
        """

    /// Queues the claims of `seen` (in the caller's order: sorted, like row locks) as one
    /// statement; nothing when there is nothing to claim.
    static func queueSeenEvents(_ seen: [SeenEventRecord], on pipeline: inout PostgresPipeline) {
        guard !seen.isEmpty else { return }
        pipeline.append(insertSeenEvents, [
            PostgresArray.text(seen.map(\.eventID)), PostgresArray.int64(seen.map { PostgresColumns.milliseconds($0.seenAt) }),
        ], operation: "commit seen events")
    }

    /// Queues the audit records, dead letters and deliveries of `batches`, in order; the
    /// deliveries claimed by `claimedBy` for `leaseMilliseconds`. Dead letters are rare (a
    /// full backlog) and keep their one-row statement.
    static func queueRows(_ batches: [CommitBatch], on pipeline: inout PostgresPipeline, claimedBy: String,
                          leaseMilliseconds: Int) {
        let audit = batches.flatMap(\.audit)
        if !audit.isEmpty { pipeline.append(insertAudit, auditValues(audit), operation: "commit audit") }
        for dead in batches.flatMap(\.deadLetters) {
            pipeline.append(DeadLetterColumns.insert, DeadLetterColumns.values(dead), operation: "commit dead letter")
        }
        let outbox = batches.flatMap(\.outbox)
        if !outbox.isEmpty {
            pipeline.append(insertOutboxClaimed, outboxValues(outbox) + [.text(claimedBy), .integer(Int64(leaseMilliseconds))],
                            operation: "commit outbox")
        }
    }

    static func auditValues(_ records: [AuditRecord]) -> [PostgresValue] {
        [PostgresArray.text(records.map(\.notificationID)), PostgresArray.text(records.map(\.ruleID)),
         PostgresArray.text(records.map(\.subjectID)), PostgresArray.text(records.map(\.transition)),
         PostgresArray.text(records.map(\.tier)), PostgresArray.int64(records.map { PostgresColumns.milliseconds($0.createdAt) }),
         PostgresArray.bytes(records.map(\.payload)), PostgresArray.text(records.map(\.suppressed))]
    }

    /// The columns of `OutboxColumns.values`, one array each.
    static func outboxValues(_ rows: [OutboxRecord]) -> [PostgresValue] {
        [PostgresArray.text(rows.map(\.deliveryID)), PostgresArray.text(rows.map(\.notificationID)),
         PostgresArray.text(rows.map(\.target)), PostgresArray.bytes(rows.map(\.body)),
         PostgresArray.text(rows.map { row in row.recipients.flatMap { recipientsText($0) } }),
         PostgresArray.int64(rows.map { PostgresColumns.milliseconds($0.createdAt) }),
         PostgresArray.int64(rows.map { PostgresColumns.milliseconds($0.nextAttemptAt) }),
         PostgresArray.int64(rows.map { Int64($0.attempts) }), PostgresArray.int64(rows.map { $0.lastStatus.map(Int64.init) }),
         PostgresArray.text(rows.map(\.lastError))]
    }

    /// The `recipients` column's JSON text (as `PostgresColumns.recipients`).
    private static func recipientsText(_ ids: [String]) -> String? {
        guard case .text(let text) = PostgresColumns.recipients(ids) else { return nil }
        return text
    }
}
