import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// What only the PostgreSQL store has (its contract behaviour runs in HeraldStoreTests):
/// migrations shared by instances starting together, the schema-version guard that stops
/// an outdated instance from writing, several instances on one database, and recovery
/// from lost connections.
struct PostgresStoreTests {
    /// A fresh database (name and URL) on the shared test server, dropped afterwards.
    func withDatabase<T>(_ body: (TemporaryPostgres, String, String) throws -> T) throws -> T {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        return try body(server, database.name, database.url)
    }

    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_700_000_000 + seconds) }

    static func delivery(_ id: String) -> OutboxRecord {
        OutboxRecord(deliveryID: id, notificationID: "n1", target: "ops", body: Data("{}".utf8), createdAt: at(0), nextAttemptAt: at(0))
    }

    @Test func instancesStartingTogetherMigrateOnce() throws {
        try withDatabase { _, _, url in
            let group = DispatchGroup()
            let results = ResultBox()
            for _ in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    results.append(Result { () throws(StoreError) in try PostgresStore(url: url, connections: 1).recordedSchemaVersion() })
                }
            }
            #expect(group.wait(timeout: .now() + 60) == .success)
            #expect(results.values.count == 4)
            #expect(results.values.map { try? $0.get() } == Array(repeating: PostgresStore.latestSchemaVersion, count: 4))
        }
    }

    @Test func aNewerSchemaStopsThisInstancesWritesAndItsStart() throws {
        try withDatabase { server, name, url in
            let store = try PostgresStore(url: url, connections: 2)
            try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: Self.at(1))]))
            // A newer Herald migrated the database.
            try server.psql("UPDATE herald_schema SET version = version + 1", database: name)
            let refused = #expect(throws: StoreError.self) {
                try store.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e2", seenAt: Self.at(2))]))
            }
            #expect(refused?.code == .schemaTooNew)
            #expect(refused?.message.contains("newer than this Herald's") == true)
            #expect(!store.checkWritable())
            #expect(try store.loadSeenEvents(since: Self.at(0)).map(\.eventID) == ["e1"])   // nothing written
            let start = #expect(throws: StoreError.self) { _ = try PostgresStore(url: url, connections: 1) }
            #expect(start?.code == .schemaTooNew)
            // Back at this version (e.g. the upgrade was rolled back), writes resume.
            try server.psql("UPDATE herald_schema SET version = version - 1", database: name)
            #expect(store.checkWritable())
        }
    }

    /// A rolling upgrade: the old binary's store (schema 1) keeps running while a new one
    /// migrates the database to the latest schema; from then on the old one's writes are
    /// refused, and the new one finds the old rows.
    @Test func anUpgradeMigratesKeepingRowsAndStopsTheOldInstancesWrites() throws {
        try withDatabase { server, name, url in
            let old = try PostgresStore(url: url, connections: 1, metrics: nil, schemaVersion: 1)
            try old.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: Self.at(1))]))
            // Rule states as schema 1's code wrote them (no revision, no due time).
            try server.psql("""
                INSERT INTO rule_state (rule_id, subject_id, state) VALUES
                    ('r', 's', convert_to('{}', 'UTF8')), ('r', 't', convert_to('{"escalationDueAt":1700000010000}', 'UTF8'))
                """, database: name)
            #expect(try old.recordedSchemaVersion() == 1)
            let new = try PostgresStore(url: url, connections: 1)
            #expect(try new.recordedSchemaVersion() == PostgresStore.latestSchemaVersion)
            // Rows start at revision 1; a pending escalation is copied out as the due time.
            #expect(try new.loadRuleStates().map { [$0.subjectID, "\($0.revision)", "\($0.dueAt.map { $0.timeIntervalSince1970 } ?? 0)"] }
                        == [["s", "1", "0.0"], ["t", "1", "1700000010.0"]])
            let refused = #expect(throws: StoreError.self) {
                try old.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e2", seenAt: Self.at(2))]))
            }
            #expect(refused?.code == .schemaTooNew)
            try new.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e3", seenAt: Self.at(3))], outbox: [Self.delivery("d1")]))
            #expect(try new.loadSeenEvents(since: Self.at(0)).map(\.eventID) == ["e1", "e3"])
        }
    }

    /// The guard is a shared advisory lock a migration takes exclusively: a migration
    /// waits for a write transaction in flight (which commits under the old version), and
    /// that instance's next write reads the new version and is refused.
    @Test func aMigrationWaitsForTheWritesInFlightAndStopsTheLaterOnes() throws {
        try withDatabase { _, _, url in
            let previous = PostgresStore.latestSchemaVersion - 1
            let old = try PostgresStore(url: url, connections: 1, metrics: nil, schemaVersion: previous)
            let writer = try PostgresConnection(url: url)
            try writer.execute("BEGIN", operation: "test")
            try PostgresSchema.guardVersion(writer, expected: previous, operation: "test")
            _ = try writer.run("INSERT INTO seen_event (event_id, seen_at_ms) VALUES ('in-flight', 1)", operation: "test")
            let migrated = DispatchSemaphore(value: 0)
            let opened = ResultBox()
            DispatchQueue.global().async {
                opened.append(Result { () throws(StoreError) in try PostgresStore(url: url, connections: 1).recordedSchemaVersion() })
                migrated.signal()
            }
            #expect(migrated.wait(timeout: .now() + 1) == .timedOut, "the migration did not wait for the write in flight")
            try writer.execute("COMMIT", operation: "test")
            #expect(migrated.wait(timeout: .now() + 30) == .success)
            #expect(opened.values.map { try? $0.get() } == [PostgresStore.latestSchemaVersion])
            let refused = #expect(throws: StoreError.self) {
                try old.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "late", seenAt: Self.at(2))]))
            }
            #expect(refused?.code == .schemaTooNew)
            #expect(refused?.message.contains("is newer than this Herald's (\(previous))") == true)
            #expect(try old.loadSeenEvents(since: Self.at(-1_700_000_000)).map(\.eventID) == ["in-flight"])
        }
    }

    @Test func twoInstancesShareStateAndAnEventIdIsStoredOnce() throws {
        try withDatabase { _, _, url in
            let first = try PostgresStore(url: url, connections: 2)
            let second = try PostgresStore(url: url, connections: 2)
            try first.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: Self.at(1))],
                                         outbox: [Self.delivery("d1")]))
            let claimed = #expect(throws: StoreError.self) {
                try second.commit(CommitBatch(seenEvents: [SeenEventRecord(eventID: "e1", seenAt: Self.at(5))]))
            }
            #expect(claimed?.code == .conflict)
            #expect(try second.loadSeenEvents(since: Self.at(0)) == [SeenEventRecord(eventID: "e1", seenAt: Self.at(1))])
            #expect(try second.outboxDepth() == 1)
            // The instance that committed the delivery holds it: the other can neither
            // take it nor finish it.
            #expect(try second.dueDeliveries(now: Self.at(10), limit: 10).isEmpty)
            #expect(try !second.markDelivered(deliveryID: "d1", status: 204, at: Self.at(2)))
            #expect(try first.markDelivered(deliveryID: "d1", status: 204, at: Self.at(3)))
            #expect(try first.deliveryOutcomes(notificationID: "n1").count == 1)
        }
    }

    /// Two instances committing the same subjects, each listing them in the opposite order,
    /// many times at once, each based on what it last read: the rows are locked in one
    /// fixed order, so no deadlock surfaces; a commit based on a revision the other
    /// instance moved on is refused whole (`conflict`), and after re-reading it succeeds.
    /// Every row ends with one revision per successful commit: a gap-free sequence.
    @Test func overlappingCommitsFromTwoInstancesDoNotDeadlock() throws {
        try withDatabase { _, _, url in
            let stores = [try PostgresStore(url: url, connections: 1), try PostgresStore(url: url, connections: 1)]
            let keys = (0..<20).map { "s\($0)" }
            let group = DispatchGroup()
            let results = ResultBox()
            for (index, store) in stores.enumerated() {
                DispatchQueue.global().async(group: group) {
                    for round in 0..<25 {
                        let order = index == 0 ? keys : keys.reversed()
                        results.append(Result { () throws(StoreError) in
                            for attempt in 1...100 {
                                let read = Dictionary(uniqueKeysWithValues: try store.ruleStates(order.map { RuleStateRowKey(ruleID: "r", subjectID: $0) })
                                    .map { ($0.subjectID, $0.revision) })
                                let upserts = order.map {
                                    RuleStateRecord(ruleID: "r", subjectID: $0, state: Data("\(index)-\(round)".utf8), revision: read[$0] ?? 0)
                                }
                                do throws(StoreError) {
                                    try store.commit(CommitBatch(ruleStateUpserts: upserts))
                                    return attempt
                                } catch where error.code == .conflict {
                                    continue
                                }
                            }
                            throw StoreError(code: .other, operation: "test", message: "100 conflicts in a row")
                        })
                    }
                }
            }
            #expect(group.wait(timeout: .now() + 120) == .success)
            #expect(results.values.count == 50)
            #expect(results.values.allSatisfy { (try? $0.get()) != nil })
            let rows = try stores[0].loadRuleStates()
            #expect(rows.count == 20)
            #expect(rows.allSatisfy { $0.revision == 50 })
        }
    }

    @Test func aLostConnectionIsUnavailableOnceThenTheStoreRecovers() throws {
        try withDatabase { server, name, url in
            let store = try PostgresStore(url: url, connections: 1)
            try store.commit(CommitBatch(outbox: [Self.delivery("d1")]))
            try server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()")
            let lost = #expect(throws: StoreError.self) { _ = try store.outboxDepth() }
            #expect(lost?.code == .io && lost?.isUnavailable == true)
            #expect(try store.outboxDepth() == 1)
        }
    }

    @Test func storeErrorsKeepTheSQLState() {
        let error = StoreError(PostgresError(sqlState: "25006", message: "cannot execute INSERT in a read-only transaction",
                                             operation: "commit"))
        #expect(error.code == .readonly && error.isUnavailable)
        #expect(error.description == "store commit failed (readonly): cannot execute INSERT in a read-only transaction (SQLSTATE 25006)")
    }
}

/// Results gathered from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<Int, StoreError>] = []
    func append(_ result: Result<Int, StoreError>) { lock.withLock { stored.append(result) } }
    var values: [Result<Int, StoreError>] { lock.withLock { stored } }
}
