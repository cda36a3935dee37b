import Foundation
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// The libpq wrapper against the test kit's throw-away server: values travel as
/// parameters, bytes round-trip, failures carry their SQLSTATE, a transaction is all or
/// nothing, and the pool survives a lost connection.
struct PostgresConnectionTests {
    /// Runs `body` with a connection to a fresh database, dropped afterwards.
    func withDatabase<T>(_ body: (PostgresConnection, String) throws -> T) throws -> T {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        return try body(try PostgresConnection(url: database.url), database.url)
    }

    @Test func valuesAreParametersNeverSQL() throws {
        try withDatabase { connection, _ in
            try connection.execute("CREATE TABLE note (id BIGINT PRIMARY KEY, text TEXT)", operation: "test")
            let hostile = "x'); DROP TABLE note; --"
            #expect(try connection.run("INSERT INTO note (id, text) VALUES ($1, $2)", [.integer(Int64(1)), .text(hostile)],
                                       operation: "test") == 1)
            #expect(try connection.firstRow("SELECT text FROM note WHERE id = $1", [.integer(Int64(1))], operation: "test") {
                $0.text(0)
            } == hostile)
            #expect(try connection.firstRow("SELECT count(*) FROM note", operation: "test") { $0.int(0) } == 1)
        }
    }

    @Test func bytesNullsAndIntegersRoundTrip() throws {
        try withDatabase { connection, _ in
            try connection.execute("CREATE TABLE blob (id INT PRIMARY KEY, data BYTEA, n BIGINT)", operation: "test")
            let samples: [Data?] = [Data([0, 1, 0x5c, 0x78, 0xff, 0]), Data(), nil, Data(repeating: 0x27, count: 70_000)]
            for (index, data) in samples.enumerated() {
                try connection.run("INSERT INTO blob (id, data, n) VALUES ($1, $2, $3)",
                                   [.integer(index), .bytes(data), .integer(index == 2 ? nil : Int.max - index)], operation: "test")
            }
            let back = try connection.rows("SELECT data, n FROM blob ORDER BY id", operation: "test") {
                ($0.optionalBytes(0), $0.optionalInt(1))
            }
            #expect(back.map(\.0) == samples)
            #expect(back.map(\.1) == [Int.max, Int.max - 1, nil, Int.max - 3])
        }
    }

    @Test func failuresCarryTheirSQLState() throws {
        try withDatabase { connection, _ in
            try connection.execute("CREATE TABLE once (id TEXT PRIMARY KEY)", operation: "test")
            try connection.run("INSERT INTO once VALUES ($1)", [.text("a")], operation: "test")
            let duplicate = #expect(throws: PostgresError.self) {
                try connection.run("INSERT INTO once VALUES ($1)", [.text("a")], operation: "insert once")
            }
            #expect(duplicate?.sqlState == "23505" && duplicate?.kind == .constraint && duplicate?.operation == "insert once")
            #expect(duplicate?.message.contains("duplicate key") == true)
            let syntax = #expect(throws: PostgresError.self) { try connection.run("SELEC 1", operation: "test") }
            #expect(syntax?.sqlState == "42601" && syntax?.kind == .misuse)
            // The connection is still usable after statement errors.
            #expect(try connection.firstRow("SELECT 2", operation: "test") { $0.int(0) } == 2)
        }
    }

    @Test func aClosedPortIsAConnectionFailureWithoutSQLState() throws {
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(url: "postgresql://herald@127.0.0.1:1/none")
        }
        #expect(error?.sqlState == nil && error?.kind == .connection && error?.operation == "connect")
    }

    @Test func aTransactionIsAllOrNothing() throws {
        try withDatabase { connection, _ in
            try connection.execute("CREATE TABLE once (id TEXT PRIMARY KEY)", operation: "test")
            #expect(throws: PostgresError.self) {
                try connection.transaction(operation: "test") { () throws(PostgresError) in
                    try connection.run("INSERT INTO once VALUES ($1)", [.text("a")], operation: "test")
                    try connection.run("INSERT INTO once VALUES ($1)", [.text("a")], operation: "test")
                }
            }
            #expect(!connection.inTransaction)
            #expect(try connection.firstRow("SELECT count(*) FROM once", operation: "test") { $0.int(0) } == 0)
        }
    }

    @Test func thePoolReconnectsAfterTheServerDroppedItsSession() throws {
        try withDatabase { admin, url in
            let pool = try PostgresPool(url: url, size: 1, applicationName: "victim")
            #expect(try pool.withConnection(operation: "test") { (c) throws(PostgresError) in try c.firstRow("SELECT 1", operation: "test") { $0.int(0) } } == 1)
            try admin.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                          [.text("victim")], operation: "test")
            let lost = #expect(throws: PostgresError.self) {
                try pool.withConnection(operation: "test") { (c) throws(PostgresError) in try c.run("SELECT 1", operation: "test") }
            }
            #expect(lost?.kind == .connection)
            #expect(try pool.withConnection(operation: "test") { (c) throws(PostgresError) in try c.firstRow("SELECT 3", operation: "test") { $0.int(0) } } == 3)
        }
    }

    /// SQLSTATEs and how Herald treats each (a table per the server's error codes appendix).
    @Test(arguments: [
        ("23505", PostgresError.Kind.constraint), ("23503", .constraint), ("40001", .retryable), ("40P01", .retryable),
        ("55P03", .busy), ("57014", .busy), ("25006", .readonly), ("53100", .full), ("53200", .noMemory),
        ("53300", .overloaded), ("08006", .connection), ("57P01", .connection), ("XX001", .corrupt), ("42P01", .misuse),
        ("P0001", .other),
    ])
    func sqlStatesMapToKinds(_ state: String, _ kind: PostgresError.Kind) {
        #expect(PostgresError(sqlState: state, message: "", operation: "test").kind == kind)
    }
}
