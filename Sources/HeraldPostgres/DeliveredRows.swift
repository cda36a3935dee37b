import Foundation
import HeraldStore

/// Delivered rows finished as ONE statement however many: each row not held by another
/// instance leaves the outbox and gets its `delivered` outcome, as
/// `ClaimStatements.take` + `PostgresStore.recordOutcome` did one row (two round trips)
/// at a time.
///
/// Why: the sender records its 2xx answers in batches on its own queue, and the rows the
/// next commit hands it wait behind that write; with two round trips per row the wait
/// was most of a webhook's end-to-end time on PostgreSQL (Benchmarks/limits.md).
enum DeliveredRows {
    /// $1 delivery ids, $2 statuses, $3 times (ms), $4 this instance. No lock waits: a row
    /// another instance holds is left alone (and, like a row already gone, not counted).
    static let finish = """
        WITH done AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS d(delivery_id, status, at_ms)),
        taken AS (
            DELETE FROM outbox USING done
            WHERE outbox.delivery_id = done.delivery_id AND (outbox.claimed_by IS NULL OR outbox.claimed_by = $4)
            RETURNING outbox.delivery_id, outbox.notification_id, outbox.target, outbox.attempts, done.status, done.at_ms)
        INSERT INTO delivery_outcome (delivery_id, notification_id, target, outcome, attempts, status, error, at_ms)
        SELECT delivery_id, notification_id, target, 'delivered', attempts + 1, status, NULL, at_ms FROM taken
        """

    static func values(_ deliveries: [DeliveredRecord], instance: String) -> [PostgresValue] {
        [PostgresArray.text(deliveries.map(\.deliveryID)), PostgresArray.int64(deliveries.map { $0.status.map(Int64.init) }),
         PostgresArray.int64(deliveries.map { PostgresColumns.milliseconds($0.at) }), .text(instance)]
    }
}
