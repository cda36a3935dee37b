public import Foundation
public import HeraldStore

/// Outbox claims: how several instances share one outbox without two of them sending
/// the same row at once (issue #20 guarantee 3; SCALEOUT.md A5.3, River's and GoAlert's
/// patterns).
///
/// - A row is held by one instance (`claimed_by`) until `lease_until`, on the database's
///   clock so instances' clocks do not matter. Rows an instance commits are claimed by it
///   as they are written (its sender gets them right after the commit); a poll claims due
///   rows nobody holds, rows whose lease ran out, and renews its own (`claimDue`, with
///   `FOR UPDATE SKIP LOCKED`: two polls at once take disjoint rows and never wait).
/// - Finishing is conditional: delivered, dead-lettered or retried-later counts only when
///   nobody else holds the row (`take`, `recordAttempt`). An instance that paused or lost
///   its connection past its lease finds its late finish refused — the row's new holder
///   sends it (again: at least once, with the same webhook-id) and records its outcome.
/// - A failed attempt releases the row: whichever instance polls when it is due retries it.
/// - A clean stop releases the instance's claims (`releaseClaims`); after a crash they run
///   out within `PostgresStore.leaseMilliseconds`.
enum ClaimStatements {
    /// $1 now (ms), $2 excluded target ids (JSON), $3 limit, $4 this instance, $5 lease (ms).
    /// Returns the outbox columns, then the row id (column 10).
    static let claimDue = """
        WITH picked AS (
            SELECT id FROM outbox
            WHERE next_attempt_at_ms <= $1
              AND split_part(target, '@', 1) NOT IN (SELECT jsonb_array_elements_text($2::jsonb))
              AND (claimed_by IS NULL OR claimed_by = $4 OR lease_until < clock_timestamp())
            ORDER BY next_attempt_at_ms, id LIMIT $3
            FOR UPDATE SKIP LOCKED)
        UPDATE outbox o SET claimed_by = $4, lease_until = clock_timestamp() + $5::bigint * interval '1 millisecond'
        FROM picked WHERE o.id = picked.id
        RETURNING o.delivery_id, o.notification_id, o.target, o.body, o.recipients, o.created_at_ms,
            o.next_attempt_at_ms, o.attempts, o.last_status, o.last_error, o.id
        """

    /// $1 this instance, $2 lease (ms), $3 delivery ids (JSON): renews the rows among them
    /// this instance still holds within their lease, and returns their delivery ids. A row
    /// whose lease ran out is not renewed even when nobody took it yet: its holder may
    /// already have dropped it (`OutboxLeases`), and the next poll claims it afresh. Rows
    /// locked by another transaction (being finished, or claimed) are skipped rather than
    /// waited for, so a renewal never deadlocks with a finish of the same rows.
    static let renew = """
        WITH mine AS (
            SELECT id FROM outbox
            WHERE delivery_id IN (SELECT jsonb_array_elements_text($3::jsonb))
              AND claimed_by = $1 AND lease_until > clock_timestamp()
            FOR UPDATE SKIP LOCKED)
        UPDATE outbox o SET lease_until = clock_timestamp() + $2::bigint * interval '1 millisecond'
        FROM mine WHERE o.id = mine.id
        RETURNING o.delivery_id
        """

    /// Most ids one renewal statement carries: keeps each statement's parameter and
    /// transaction short when an instance holds tens of thousands of rows (a backed-up
    /// target's queue holds up to 10,000).
    static let maxRenewedPerStatement = 1_000

    /// $1 attempts, $2 next attempt (ms), $3 status, $4 error, $5 delivery id, $6 this instance.
    static let recordAttempt = """
        UPDATE outbox SET attempts = $1, next_attempt_at_ms = $2, last_status = $3, last_error = $4,
            claimed_by = NULL, lease_until = NULL
        WHERE delivery_id = $5 AND (claimed_by IS NULL OR claimed_by = $6)
        """

    /// $1 delivery id, $2 this instance: the row, deleted, unless another instance holds it.
    static let take = """
        DELETE FROM outbox WHERE delivery_id = $1 AND (claimed_by IS NULL OR claimed_by = $2)
        RETURNING \(OutboxColumns.names)
        """

    static let release = "UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1"

    /// $1 task, $2 this instance, $3 lease (ms): a row back when this instance leads now
    /// (it took a free or lapsed lead, or renewed its own).
    static let lead = """
        INSERT INTO herald_leader (task, holder, expires_at)
        VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
        ON CONFLICT (task) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE herald_leader.holder = excluded.holder OR herald_leader.expires_at < clock_timestamp()
        RETURNING holder
        """

    static let resign = "DELETE FROM herald_leader WHERE holder = $1"

    /// $1 this instance, $2 its config hash: the heartbeat.
    static let announce = """
        INSERT INTO herald_instance (instance, config_hash, seen_at) VALUES ($1, $2, clock_timestamp())
        ON CONFLICT (instance) DO UPDATE SET config_hash = excluded.config_hash, seen_at = excluded.seen_at
        """
    /// $1 liveness (ms): the config hashes of instances heard from within it.
    static let liveConfigs = """
        SELECT DISTINCT config_hash FROM herald_instance
        WHERE seen_at > clock_timestamp() - $1::bigint * interval '1 millisecond' ORDER BY 1
        """
    /// Rows of instances silent for a day are forgotten (crashed instances never delete theirs).
    static let forgetInstances = "DELETE FROM herald_instance WHERE seen_at < clock_timestamp() - interval '1 day'"
    static let leave = "DELETE FROM herald_instance WHERE instance = $1"
}

extension PostgresStore {
    /// Gives up every claim, maintenance lead and heartbeat row this instance holds, so the rows it did
    /// not finish go out from another instance (or its own next start) at once rather than
    /// after the lease, and another instance takes maintenance over; the daemon calls it
    /// once delivery has stopped. Returns how many outbox rows were held.
    @discardableResult
    public func releaseClaims() throws(StoreError) -> Int {
        try write("release claims") { (connection) throws(PostgresError) in
            try connection.run(ClaimStatements.resign, [.text(instanceID)], operation: "release claims")
            try connection.run(ClaimStatements.leave, [.text(instanceID)], operation: "release claims")
            return try connection.run(ClaimStatements.release, [.text(instanceID)], operation: "release claims")
        }
    }

    /// Renews this instance's claims on the rows `deliveryIDs` (those its sender holds in
    /// memory) for another lease; returns the ids still held (see `ClaimStatements.renew`).
    public func renewClaims(_ deliveryIDs: [String]) throws(StoreError) -> Set<String> {
        var renewed = Set<String>()
        var start = 0
        while start < deliveryIDs.count {
            let chunk = Array(deliveryIDs[start..<min(start + ClaimStatements.maxRenewedPerStatement, deliveryIDs.count)])
            start += chunk.count
            let ids = try write("renew outbox claims") { (connection) throws(PostgresError) in
                try connection.rows(ClaimStatements.renew, [.text(instanceID), .integer(leaseMilliseconds),
                                                            PostgresColumns.jsonArray(chunk)],
                                    operation: "renew outbox claims") { $0.text(0) }
            }
            renewed.formUnion(ids)
        }
        return renewed
    }

    /// This instance's heartbeat row with its config hash, and the hashes of the
    /// instances heard from within `liveWithin` (the database's clock).
    public func announceConfig(_ configHash: String, liveWithin: TimeInterval) throws(StoreError) -> [String] {
        let milliseconds = max(1, Int((liveWithin * 1000).rounded()))
        return try write("announce config") { (connection) throws(PostgresError) in
            try connection.run(ClaimStatements.forgetInstances, operation: "announce config")
            try connection.run(ClaimStatements.announce, [.text(instanceID), .text(configHash)], operation: "announce config")
            return try connection.rows(ClaimStatements.liveConfigs, [.integer(milliseconds)], operation: "announce config") { $0.text(0) }
        }
    }

    /// The leader row of `task` (River's pattern, SCALEOUT.md A5.5): taken when free or
    /// lapsed, renewed by its holder, on the database's clock.
    public func leadMaintenance(_ task: String, for duration: TimeInterval) throws(StoreError) -> Bool {
        let milliseconds = max(1, Int((duration * 1000).rounded()))
        return try write("lead maintenance") { (connection) throws(PostgresError) in
            try connection.run(ClaimStatements.lead, [.text(task), .text(instanceID), .integer(milliseconds)],
                               operation: "lead maintenance") == 1
        }
    }
}
