import Foundation
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// The pipeline (many statements, one round trip) and the binary arrays that turn a
/// column of rows into one parameter, against the test kit's throw-away server.
struct PostgresPipelineTests {
    func withDatabase<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        return try body(try PostgresConnection(url: database.url))
    }

    @Test func statementsRunInOrderAndAnswerInOrder() throws {
        try withDatabase { connection in
            try connection.execute("CREATE TABLE note (id INT PRIMARY KEY, text TEXT)", operation: "test")
            var pipeline = PostgresPipeline()
            for id in 1...3 { pipeline.append("INSERT INTO note VALUES ($1, $2)", [.integer(id), .text("n\(id)")], operation: "insert") }
            pipeline.append("UPDATE note SET text = text || '!' WHERE id >= $1", [.integer(2)], operation: "update")
            let select = pipeline.append("SELECT id, text FROM note ORDER BY id", operation: "select")
            let results = try connection.transaction(operation: "test") { () throws(PostgresError) in try connection.run(pipeline) }
            #expect(results.map(\.affectedRows) == [1, 1, 1, 2, 3])
            #expect(results[select].rows { "\($0.int(0)):\($0.text(1))" } == ["1:n1", "2:n2!", "3:n3!"])
            // Back to ordinary statements afterwards (pipeline mode and non-blocking are off).
            #expect(try connection.firstRow("SELECT count(*) FROM note", operation: "test") { $0.int(0) } == 3)
        }
    }

    @Test func aFailedStatementFailsThePipelineAndTheTransactionRollsBack() throws {
        try withDatabase { connection in
            try connection.execute("CREATE TABLE once (id TEXT PRIMARY KEY)", operation: "test")
            var pipeline = PostgresPipeline()
            pipeline.append("INSERT INTO once VALUES ($1)", [.text("a")], operation: "first")
            pipeline.append("INSERT INTO once VALUES ($1)", [.text("a")], operation: "duplicate")
            pipeline.append("INSERT INTO once VALUES ($1)", [.text("b")], operation: "after")
            let failure = #expect(throws: PostgresError.self) {
                try connection.transaction(operation: "test") { () throws(PostgresError) in _ = try connection.run(pipeline) }
            }
            // The first failure, named by its own statement; the connection is not lost.
            #expect(failure?.sqlState == "23505" && failure?.operation == "duplicate" && failure?.kind == .constraint)
            #expect(!connection.isBroken && !connection.inTransaction)
            #expect(try connection.firstRow("SELECT count(*) FROM once", operation: "test") { $0.int(0) } == 0)
            // The same statements (prepared already) run again without the duplicate.
            var again = PostgresPipeline()
            again.append("INSERT INTO once VALUES ($1)", [.text("a")], operation: "first")
            again.append("INSERT INTO once VALUES ($1)", [.text("b")], operation: "after")
            #expect(try connection.run(again).map(\.affectedRows) == [1, 1])
        }
    }

    /// Each statement's own outcome: a caller that treats "no row changed" as a failure
    /// can tell whether that came before or after a statement that failed.
    @Test func outcomesNameEachStatementsAnswerAndTheSkippedOnes() throws {
        try withDatabase { connection in
            try connection.execute("CREATE TABLE once (id TEXT PRIMARY KEY, n INT NOT NULL DEFAULT 0)", operation: "test")
            try connection.run("INSERT INTO once VALUES ($1)", [.text("a")], operation: "test")
            var pipeline = PostgresPipeline()
            pipeline.append("UPDATE once SET n = n + 1 WHERE id = $1", [.text("absent")], operation: "no row")
            pipeline.append("UPDATE once SET n = n + 1 WHERE id = $1", [.text("a")], operation: "one row")
            pipeline.append("INSERT INTO once VALUES ($1)", [.text("a")], operation: "duplicate")
            pipeline.append("INSERT INTO once VALUES ($1)", [.text("b")], operation: "after")
            try connection.execute("BEGIN", operation: "test")
            let outcomes = try connection.outcomes(of: pipeline)
            try connection.execute("ROLLBACK", operation: "test")
            #expect(outcomes.count == 4)
            #expect((try? outcomes[0].get())?.affectedRows == 0)
            #expect((try? outcomes[1].get())?.affectedRows == 1)
            guard case .failure(let duplicate) = outcomes[2], case .failure(let skipped) = outcomes[3] else {
                Issue.record("the duplicate and the statement after it should fail: \(outcomes)")
                return
            }
            #expect(duplicate.sqlState == "23505" && duplicate.operation == "duplicate")
            #expect(skipped.sqlState == nil && skipped.operation == "after" && skipped.message.contains("skipped"))
            #expect(try connection.firstRow("SELECT n FROM once WHERE id = 'a'", operation: "test") { $0.int(0) } == 0)
        }
    }

    /// Megabytes each way: sending all of it before reading any answer would deadlock in
    /// blocking mode (both sides' socket buffers full); the pipeline reads while it sends.
    @Test func aLargePipelineNeitherBlocksNorLosesAnything() throws {
        try withDatabase { connection in
            try connection.execute("CREATE TABLE blob (id INT PRIMARY KEY, data BYTEA NOT NULL)", operation: "test")
            let payload = Data((0..<4096).map { UInt8($0 % 251) })
            var pipeline = PostgresPipeline()
            for id in 0..<2_000 {
                pipeline.append("INSERT INTO blob VALUES ($1, $2) RETURNING data", [.integer(id), .bytes(payload)], operation: "insert")
            }
            let results = try connection.run(pipeline)
            #expect(results.count == 2_000)
            #expect(results.allSatisfy { $0.affectedRows == 1 && $0.rows { $0.bytes(0) } == [payload] })
            #expect(try connection.firstRow("SELECT count(*), sum(length(data)) FROM blob", operation: "test") {
                [$0.int(0), $0.int(1)]
            } == [2_000, 2_000 * 4096])
        }
    }

    /// The server ends the session (a restart, a failover, an administrator) while a
    /// pipeline runs on it: the pipeline fails as a lost connection (503 upstream, not a
    /// statement error), and the connection was reset on the way out (pipeline mode and
    /// non-blocking off), so the next call works. (A failure before the pipeline starts —
    /// preparing a new statement — leaves a broken connection for the pool to reconnect,
    /// as ordinary statements do.)
    @Test func aLostSessionFailsThePipelineAsAConnectionErrorAndTheConnectionRecovers() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let victim = try PostgresConnection(url: database.url, applicationName: "pipeline-victim")
        let admin = try PostgresConnection(url: database.url)
        try victim.execute("CREATE TABLE note (id INT PRIMARY KEY)", operation: "test")
        var pipeline = PostgresPipeline()
        pipeline.append("INSERT INTO note VALUES ($1)", [.integer(1)], operation: "insert")
        pipeline.append("SELECT count(*) FROM note", operation: "count")
        _ = try victim.run(pipeline)   // prepared on this session now
        try victim.execute("TRUNCATE note", operation: "test")
        try admin.run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                      [.text("pipeline-victim")], operation: "test")
        let lost = #expect(throws: PostgresError.self) { _ = try victim.run(pipeline) }
        #expect(lost?.kind == .connection)
        // Reset already: ordinary statements and pipelines work again on a new session.
        #expect(!victim.isBroken && !victim.inTransaction)
        let results = try victim.run(pipeline)
        #expect(results.map(\.affectedRows) == [1, 1])
        #expect(results[1].rows { $0.int(0) } == [1])
    }

    @Test func anEmptyPipelineSendsNothing() throws {
        try withDatabase { connection in
            let results = try connection.run(PostgresPipeline())
            #expect(results.isEmpty)
        }
    }

    /// Arrays round-trip element by element: quotes, backslashes, braces, commas and
    /// non-ASCII text (which the text form would have to escape), NULLs, zero bytes,
    /// integer extremes, and empty arrays.
    @Test func arraysRoundTripThroughUnnest() throws {
        try withDatabase { connection in
            let texts: [String?] = ["plain", "a \"quoted\" \\ back,slash {brace}", nil, "", "größe ✓", "NULL"]
            let bytes: [Data?] = [Data([0, 1, 0, 255]), nil, Data(), Data(repeating: 0x5c, count: 70_000), Data([0x7b, 0x22])]
            let numbers: [Int64?] = [0, -1, Int64.max, Int64.min, nil, 42]
            let back = try connection.rows("SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[])",
                                           [PostgresArray.text(texts), PostgresArray.bytes(bytes), PostgresArray.int64(numbers)],
                                           operation: "test") { ($0.optionalText(0), $0.optionalBytes(1), $0.isNull(2) ? nil : $0.int64(2)) }
            #expect(back.count == 6)
            #expect(back.map(\.0) == texts)
            #expect(back.map(\.1) == bytes + [nil])   // unnest pads the shorter array with NULL
            #expect(back.map(\.2) == numbers)
            let empty = try connection.firstRow("SELECT cardinality($1::text[]), cardinality($2::bigint[])",
                                                [PostgresArray.text([]), PostgresArray.int64([])], operation: "test") { [$0.int(0), $0.int(1)] }
            #expect(empty == [0, 0])
        }
    }

    /// The element type written must be the one the SQL names: the server checks it.
    @Test func anArrayOfTheWrongElementTypeIsRefused() throws {
        try withDatabase { connection in
            let refused = #expect(throws: PostgresError.self) {
                try connection.run("SELECT cardinality($1::bigint[])", [PostgresArray.text(["1"])], operation: "wrong type")
            }
            #expect(refused?.kind == .misuse && refused?.operation == "wrong type")
        }
    }
}
