import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// Delivered rows finished in one statement: only this instance's (or unheld) rows leave
/// the outbox, each with its own outcome (status, time, attempts + 1); another
/// instance's row and a row already gone are left alone and not counted.
struct DeliveredRowsTests {
    static func at(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(1_700_000_000_000 + ms) / 1000) }

    static func delivery(_ id: String, attempts: Int = 0) -> OutboxRecord {
        OutboxRecord(deliveryID: id, notificationID: "n-\(id)", target: "ops@\(id)", createdAt: at(0), nextAttemptAt: at(0),
                     attempts: attempts)
    }

    @Test func aBatchFinishesOnlyTheRowsThisInstanceMayFinish() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let (a, b) = (try PostgresStore(url: database.url, connections: 1), try PostgresStore(url: database.url, connections: 1))
        try a.commit(CommitBatch(outbox: [Self.delivery("d1"), Self.delivery("d2", attempts: 3)]))
        try b.commit(CommitBatch(outbox: [Self.delivery("d3")]))   // held by b
        let marked = try a.markDelivered([DeliveredRecord(deliveryID: "d1", status: 204, at: Self.at(10)),
                                          DeliveredRecord(deliveryID: "d3", status: 200, at: Self.at(11)),
                                          DeliveredRecord(deliveryID: "gone", status: 200, at: Self.at(12)),
                                          DeliveredRecord(deliveryID: "d2", status: nil, at: Self.at(13))])
        #expect(marked == 2)
        #expect(try a.pendingDeliveries(limit: 10).map(\.deliveryID) == ["d3"])
        let outcomes = try a.pool.withConnection(operation: "test") { (c) throws(PostgresError) in
            try c.rows("""
                SELECT delivery_id, notification_id, target, outcome, attempts, coalesce(status::text, '-'), at_ms
                FROM delivery_outcome ORDER BY delivery_id
                """, operation: "test") { row in (0..<7).map { row.text($0) }.joined(separator: " ") }
        }
        #expect(outcomes == ["d1 n-d1 ops@d1 delivered 1 204 1700000000010", "d2 n-d2 ops@d2 delivered 4 - 1700000000013"])
        #expect(try a.markDelivered([]) == 0)
    }
}
