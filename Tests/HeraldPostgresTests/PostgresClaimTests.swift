import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// Outbox claims between instances (issue #20 guarantee 3): no instance sends a row
/// another holds, a lease that ran out is taken over and the late finish of its old
/// holder changes nothing, polls at once take disjoint rows, a clean stop hands its rows on.
struct PostgresClaimTests {
    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_700_000_000 + seconds) }

    static func deliveries(_ count: Int, prefix: String = "d") -> [OutboxRecord] {
        (0..<count).map {
            OutboxRecord(deliveryID: "\(prefix)\($0)", notificationID: "n", target: "ops", body: Data("{}".utf8),
                         createdAt: at(0), nextAttemptAt: at(Double($0 % 7)))
        }
    }

    func withDatabase<T>(_ body: (TemporaryPostgres, String, String) throws -> T) throws -> T {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        return try body(server, database.name, database.url)
    }

    @Test func aRowHeldByOneInstanceIsNeitherSentNorFinishedByAnother() throws {
        try withDatabase { _, _, url in
            let (a, b) = (try PostgresStore(url: url, connections: 1), try PostgresStore(url: url, connections: 1))
            try a.commit(CommitBatch(outbox: Self.deliveries(5)))
            #expect(try b.dueDeliveries(now: Self.at(100), limit: 100).isEmpty)
            #expect(try a.dueDeliveries(now: Self.at(100), limit: 100).count == 5)
            #expect(try !b.recordAttempt(deliveryID: "d0", attempts: 1, nextAttemptAt: Self.at(1), lastStatus: 500, lastError: "x"))
            #expect(try !b.moveToDeadLetter(deliveryID: "d0", status: 500, error: "x", responseExcerpt: nil, at: Self.at(1)))
            #expect(try b.markDelivered([DeliveredRecord(deliveryID: "d0", status: 200, at: Self.at(1))]) == 0)
            // A failed attempt releases the row: the other instance retries it when due.
            #expect(try a.recordAttempt(deliveryID: "d1", attempts: 1, nextAttemptAt: Self.at(50), lastStatus: 503, lastError: "down"))
            #expect(try b.dueDeliveries(now: Self.at(49), limit: 100).isEmpty)
            #expect(try b.dueDeliveries(now: Self.at(50), limit: 100).map(\.deliveryID) == ["d1"])
            #expect(try !a.markDelivered(deliveryID: "d1", status: 200, at: Self.at(51)))
            #expect(try b.markDelivered(deliveryID: "d1", status: 200, at: Self.at(51)))
            #expect(try a.outboxDepth() == 4)
        }
    }

    @Test func aLeaseThatRanOutIsTakenOverAndTheOldHoldersLateFinishChangesNothing() throws {
        try withDatabase { _, _, url in
            let paused = try PostgresStore(url: url, connections: 1, metrics: nil,
                                           schemaVersion: PostgresStore.latestSchemaVersion, leaseMilliseconds: 2_000)
            let other = try PostgresStore(url: url, connections: 1)
            try paused.commit(CommitBatch(outbox: Self.deliveries(1)))
            #expect(try other.dueDeliveries(now: Self.at(10), limit: 10).isEmpty)
            Thread.sleep(forTimeInterval: 2.5)   // past the 2 s lease, on the database's clock
            #expect(try other.dueDeliveries(now: Self.at(10), limit: 10).map(\.deliveryID) == ["d0"])
            // The paused instance wakes up and reports its (duplicate) send: refused.
            #expect(try paused.markDelivered([DeliveredRecord(deliveryID: "d0", status: 200, at: Self.at(11))]) == 0)
            #expect(try !paused.recordAttempt(deliveryID: "d0", attempts: 1, nextAttemptAt: Self.at(99), lastStatus: 500, lastError: "late"))
            #expect(try !paused.moveToDeadLetter(deliveryID: "d0", status: 500, error: "late", responseExcerpt: nil, at: Self.at(11)))
            #expect(try paused.pendingDeliveries(limit: 10).first?.attempts == 0)
            #expect(try other.markDelivered(deliveryID: "d0", status: 204, at: Self.at(12)))
            #expect(try other.deliveryOutcomes(notificationID: "n").map(\.status) == [204])
        }
    }

    /// Renewal keeps a row held past its first lease (another instance cannot claim it);
    /// a row whose lease ran out is not renewed (whether another instance took it or not)
    /// and is claimable; rows that left the outbox are not confirmed.
    @Test func aRenewedRowStaysHeldAndALapsedOneIsNotRenewed() throws {
        try withDatabase { _, _, url in
            let holder = try PostgresStore(url: url, connections: 1, metrics: nil,
                                           schemaVersion: PostgresStore.latestSchemaVersion, leaseMilliseconds: 3_000)
            let other = try PostgresStore(url: url, connections: 1)
            try holder.commit(CommitBatch(outbox: Self.deliveries(4)))
            Thread.sleep(forTimeInterval: 1.5)
            #expect(try holder.renewClaims(["d0", "d1", "gone"]) == ["d0", "d1"])
            Thread.sleep(forTimeInterval: 1.8)   // 3.3 s since the commit: d2 and d3 lapsed, d0 and d1 renewed at 1.5 s
            #expect(try other.dueDeliveries(now: Self.at(100), limit: 10).map(\.deliveryID).sorted() == ["d2", "d3"])
            // d2 and d3 are the other instance's now; d0 is renewed again, past its first lease.
            #expect(try holder.renewClaims(["d0", "d2", "d3"]) == ["d0"])
            #expect(try !holder.markDelivered(deliveryID: "d2", status: 200, at: Self.at(101)))
            // d1 lapsed without anyone taking it: not renewed either (its holder may have
            // dropped it already); the next claim takes it afresh.
            Thread.sleep(forTimeInterval: 1.5)   // 3.3 s since d1's renewal
            #expect(try holder.renewClaims(["d0", "d1"]) == ["d0"])
            #expect(try other.dueDeliveries(now: Self.at(100), limit: 10).map(\.deliveryID).sorted() == ["d1", "d2", "d3"])
            #expect(try holder.markDelivered(deliveryID: "d0", status: 200, at: Self.at(102)))
            #expect(try holder.renewClaims(["d0"]).isEmpty)
        }
    }

    /// Two instances poll the same outbox at once, again and again: every row is taken by
    /// exactly one of them (SKIP LOCKED), none twice, none left.
    @Test func pollsAtOnceTakeDisjointRows() throws {
        try withDatabase { server, name, url in
            let writer = try PostgresStore(url: url, connections: 1)
            try writer.commit(CommitBatch(outbox: Self.deliveries(300)))
            try server.psql("UPDATE outbox SET claimed_by = NULL, lease_until = NULL", database: name)   // nobody holds them
            let stores = [try PostgresStore(url: url, connections: 1), try PostgresStore(url: url, connections: 1)]
            let taken = TakenBox()
            let group = DispatchGroup()
            // A barrier after the first claim of each: both hold rows at the same time.
            let arrived = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
            for (index, store) in stores.enumerated() {
                DispatchQueue.global().async(group: group) {
                    for round in 0..<30 {
                        guard let rows = try? store.dueDeliveries(now: Self.at(100), limit: 25) else { taken.fail(); return }
                        if round == 0 {
                            arrived[index].signal()
                            guard arrived[1 - index].wait(timeout: .now() + 60) == .success else { taken.fail(); return }
                        }
                        // Each claimed row is finished at once, as a fast sender would.
                        for row in rows {
                            taken.add(row.deliveryID, by: index)
                            if (try? store.markDelivered(deliveryID: row.deliveryID, at: Self.at(100))) != true { taken.fail() }
                        }
                    }
                }
            }
            #expect(group.wait(timeout: .now() + 120) == .success)
            #expect(!taken.failed)
            #expect(taken.ids.count == 300)   // 300 claims in all: no row was claimed twice
            #expect(Set(taken.ids).count == 300)
            #expect(taken.byInstance.count == 2)   // both held rows at once (the barrier)
            #expect(try writer.outboxDepth() == 0)
        }
    }

    @Test func aCleanStopHandsItsRowsToTheOthersAtOnce() throws {
        try withDatabase { _, _, url in
            let stopping = try PostgresStore(url: url, connections: 1)
            let other = try PostgresStore(url: url, connections: 1)
            try stopping.commit(CommitBatch(outbox: Self.deliveries(3)))
            #expect(try other.dueDeliveries(now: Self.at(10), limit: 10).isEmpty)
            #expect(try stopping.releaseClaims() == 3)
            #expect(try other.dueDeliveries(now: Self.at(10), limit: 10).count == 3)
        }
    }
}

/// Delivery ids finished by each instance, gathered from several threads.
final class TakenBox: @unchecked Sendable {
    private let lock = NSLock()
    private var taken: [(String, Int)] = []
    private var failure = false
    func add(_ id: String, by instance: Int) { lock.withLock { taken.append((id, instance)) } }
    func fail() { lock.withLock { failure = true } }
    var ids: [String] { lock.withLock { taken.map(\.0) } }
    var byInstance: Set<Int> { lock.withLock { Set(taken.map(\.1)) } }
    var failed: Bool { lock.withLock { failure } }
}

/// The maintenance lead between instances (issue #20 guarantee 5).
struct PostgresLeadTests {
    @Test func oneInstanceLeadsUntilItStopsRenewingOrResigns() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let (a, b) = (try PostgresStore(url: database.url, connections: 1), try PostgresStore(url: database.url, connections: 1))
        #expect(try a.leadMaintenance("retention", for: 2))
        #expect(try !b.leadMaintenance("retention", for: 2))
        #expect(try b.leadMaintenance("pruning", for: 2))     // another task, another lead
        #expect(try a.leadMaintenance("retention", for: 2))   // renewed by its holder
        Thread.sleep(forTimeInterval: 2.5)                    // a stops renewing
        #expect(try b.leadMaintenance("retention", for: 60))
        #expect(try !a.leadMaintenance("retention", for: 60))
        try b.releaseClaims()                                   // a clean stop resigns
        #expect(try a.leadMaintenance("retention", for: 60))
    }
}

/// Config agreement between instances (issue #20 guarantee 7).
struct PostgresConfigAgreementTests {
    @Test func instancesHearEachOthersConfigUntilOneLeavesOrFallsSilent() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let stores = try (0..<3).map { _ in try PostgresStore(url: database.url, connections: 1) }
        #expect(try stores[0].announceConfig("aaa", liveWithin: 15) == ["aaa"])
        #expect(try stores[1].announceConfig("bbb", liveWithin: 15) == ["aaa", "bbb"])
        #expect(try stores[0].announceConfig("aaa", liveWithin: 15) == ["aaa", "bbb"])
        try stores[1].releaseClaims()   // a clean stop leaves
        #expect(try stores[0].announceConfig("aaa", liveWithin: 15) == ["aaa"])
        #expect(try stores[2].announceConfig("ccc", liveWithin: 15) == ["aaa", "ccc"])
        Thread.sleep(forTimeInterval: 0.4)   // ccc falls silent (a crash)
        #expect(try stores[0].announceConfig("aaa", liveWithin: 0.3) == ["aaa"])
    }
}
