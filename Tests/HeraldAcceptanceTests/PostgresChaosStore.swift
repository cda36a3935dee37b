import Foundation
import HeraldTestKit

/// What the chaos test reads back from the shared database, with `psql` (the test
/// stays black-box: it knows the tables, not the daemon's types). Read once, after every
/// instance stopped, so the figures do not move under the assertions.
struct ChaosStore {
    /// A notice, or the record of a manual action (acknowledge, resolve by hand), which
    /// the audit log keeps next to the notices it caused.
    struct AuditRow {
        let subject: String
        let notificationID: String
        let suppressed: Bool
        let isAction: Bool
        let payload: Data
    }

    struct Outcome {
        let deliveryID: String
        let notificationID: String
        let outcome: String
    }

    let seenEvents: Set<String>
    /// Notices in commit order (audit id), and the action records.
    let audit: [AuditRow]
    let actions: [AuditRow]
    let outcomes: [Outcome]
    /// Delivery ids still in the outbox, and in dead letters.
    let outbox: [String]
    let deadLetters: [String]
    /// Stored rule states by subject, then rule id.
    let states: [String: [String: Data]]
    /// Their revisions (`rule_state.seq`: 1 when written first, +1 on every write), by
    /// subject, then rule id; empty while the schema has no revisions.
    let revisions: [String: [String: Int64]]

    init(_ server: TemporaryPostgres, database: String) throws {
        func rows(_ sql: String) throws -> [[String]] {
            try server.psql(sql, database: database).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        }
        seenEvents = Set(try rows("SELECT event_id FROM seen_event").map { $0[0] })
        let all = try rows("""
            SELECT subject_id, notification_id, suppressed IS NOT NULL, convert_from(payload, 'UTF8')::jsonb ? 'action',
                   encode(payload, 'hex') FROM audit ORDER BY id
            """).map {
            AuditRow(subject: $0[0], notificationID: $0[1], suppressed: $0[2] == "t", isAction: $0[3] == "t", payload: Self.hex($0[4]))
        }
        audit = all.filter { !$0.isAction }
        actions = all.filter(\.isAction)
        outcomes = try rows("SELECT delivery_id, notification_id, outcome FROM delivery_outcome ORDER BY id").map {
            Outcome(deliveryID: $0[0], notificationID: $0[1], outcome: $0[2])
        }
        outbox = try rows("SELECT delivery_id FROM outbox").map { $0[0] }
        deadLetters = try rows("SELECT delivery_id FROM dead_letter").map { $0[0] }
        let hasRevisions = try server.psql("""
            SELECT count(*) FROM information_schema.columns WHERE table_name = 'rule_state' AND column_name = 'seq'
            """, database: database) == "1"
        var states: [String: [String: Data]] = [:], revisions: [String: [String: Int64]] = [:]
        for row in try rows("SELECT subject_id, rule_id, encode(state, 'hex'), \(hasRevisions ? "seq" : "0") FROM rule_state") {
            states[row[0], default: [:]][row[1]] = Self.hex(row[2])
            if hasRevisions { revisions[row[0], default: [:]][row[1]] = Int64(row[3]) ?? -1 }
        }
        self.states = states
        self.revisions = revisions
    }

    /// Rule states with an escalation timer still to fire (their JSON has `escalationDueAt`).
    static func pendingTimers(_ server: TemporaryPostgres, database: String) -> Int? {
        (try? server.psql("SELECT count(*) FROM rule_state WHERE convert_from(state, 'UTF8')::jsonb ? 'escalationDueAt'",
                          database: database)).flatMap { Int($0) }
    }

    static func count(_ table: String, _ server: TemporaryPostgres, database: String) -> Int? {
        (try? server.psql("SELECT count(*) FROM \(table)", database: database)).flatMap { Int($0) }
    }

    static func hex(_ text: String) -> Data {
        var data = Data(capacity: text.utf8.count / 2)
        var high: UInt8?
        for byte in text.utf8 {
            let nibble: UInt8 = byte >= 97 ? byte - 87 : byte - 48
            if let h = high { data.append(h << 4 | nibble); high = nil } else { high = nibble }
        }
        return data
    }
}
