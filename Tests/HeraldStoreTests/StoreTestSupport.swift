import Foundation
import HeraldPostgres
import HeraldTestKit
import Testing
@testable import HeraldStore

/// Runs `body` with a fresh directory under the system temp dir, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("herald-store-tests-\(UUID().uuidString)", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// The `StateStore` implementations the contract tests run against: a test written
/// `@Test(arguments: StoreUnderTest.allCases)` that reaches its store only through
/// `withStore` checks the protocol's contract, not one implementation. `postgresql` runs
/// each test on a fresh database of the test kit's throw-away server (`TemporaryPostgres`,
/// one server per test run). Tests of what only one store has (SQLite's migrations, WAL
/// checkpoints and test hooks; PostgreSQL's schema guard, in HeraldPostgresTests) use the
/// store type directly.
enum StoreUnderTest: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }

    /// Runs `body` with an empty store of this kind, discarded afterwards.
    func withStore<T>(_ body: (any StateStore) throws -> T) throws -> T {
        switch self {
        case .sqlite:
            try withTemporaryDirectory { directory in
                try body(try SQLiteStore(directory: directory, synchronous: .normal))
            }
        case .postgresql:
            try withPostgresStore(body)
        }
    }
}

/// Runs `body` with a PostgreSQL store on a fresh database, dropped afterwards.
func withPostgresStore<T>(_ body: (PostgresStore) throws -> T) throws -> T {
    let server = try TemporaryPostgres.shared()
    let database = try server.createDatabase()
    defer { server.drop(database.name) }
    return try body(try PostgresStore(url: database.url, connections: 2))
}

/// Runs `body` with a SQLite store opened in a fresh temporary directory.
func withStore<T>(synchronous: SQLiteStore.Synchronous = .normal, _ body: (SQLiteStore, URL) throws -> T) throws -> T {
    try withTemporaryDirectory { directory in
        let store = try SQLiteStore(directory: directory, synchronous: synchronous)
        return try body(store, directory)
    }
}

/// A date at whole milliseconds (what the store keeps), `offset` seconds after a fixed instant.
func at(_ offset: Double) -> Date {
    Date(timeIntervalSince1970: (1_700_000_000 + offset).rounded())
}

/// A rule state row: in a commit, based on `revision` (0: a new row); as loaded, at it.
func ruleState(_ rule: String, _ subject: String, _ json: String = #"{"tier":"warning"}"#, revision: Int64 = 0,
               dueAt: Date? = nil) -> RuleStateRecord {
    RuleStateRecord(ruleID: rule, subjectID: subject, state: Data(json.utf8), revision: revision, dueAt: dueAt)
}

func audit(_ id: String, rule: String = "r1", subject: String = "s1", at time: Date = at(0)) -> AuditRecord {
    AuditRecord(notificationID: id, ruleID: rule, subjectID: subject, transition: "raised", tier: "warning",
                createdAt: time, payload: Data(#"{"n":"\#(id)"}"#.utf8))
}

func delivery(_ id: String, target: String = "ops", due: Date = at(0), notification: String = "n1") -> OutboxRecord {
    OutboxRecord(deliveryID: id, notificationID: notification, target: target, body: Data("body-\(id)".utf8),
                 createdAt: at(0), nextAttemptAt: due)
}

/// The code of the StoreError `body` throws, or nil if it does not throw.
func storeErrorCode(_ body: () throws -> Void) -> StoreError.Code? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return .other
    }
}
