import Foundation
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
/// `withStore` checks the protocol's contract, not one implementation. A second store
/// (PostgreSQL, issue #20) adds its case here and runs the same tests. Tests of what
/// only SQLite has (migrations, WAL checkpoints, test hooks) use `SQLiteStore` directly.
enum StoreUnderTest: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite

    var testDescription: String { rawValue }

    /// Runs `body` with an empty store of this kind, discarded afterwards.
    func withStore<T>(_ body: (any StateStore) throws -> T) throws -> T {
        switch self {
        case .sqlite:
            try withTemporaryDirectory { directory in
                try body(try SQLiteStore(directory: directory, synchronous: .normal))
            }
        }
    }
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

func ruleState(_ rule: String, _ subject: String, _ json: String = #"{"tier":"warning"}"#) -> RuleStateRecord {
    RuleStateRecord(ruleID: rule, subjectID: subject, state: Data(json.utf8))
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
