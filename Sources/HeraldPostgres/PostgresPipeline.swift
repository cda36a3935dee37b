internal import CPostgreSQL
import Foundation

/// Statements sent to the server together and answered together: one network round trip
/// for all of them instead of one each (libpq's pipeline mode, libpq 14+).
///
/// Why: a commit is a dozen statements or more, and each synchronous statement waits a
/// full round trip — on a loaded 2-core machine tens of microseconds of wake-ups on both
/// sides, paid once per statement. Queued in a pipeline they cost one wait.
///
/// Statements run in order, in the caller's transaction when one is open (`BEGIN` on the
/// same connection before). When one fails the server skips the rest, and `run` throws
/// the first failure after reading every answer, so the connection stays usable (the
/// open transaction is then failed and the caller rolls it back, as with `run`).
public struct PostgresPipeline: Sendable {
    struct Statement: Sendable {
        let sql: String
        let values: [PostgresValue]
        let operation: String
    }

    private(set) var statements: [Statement] = []

    public init() {}

    public var isEmpty: Bool { statements.isEmpty }
    public var count: Int { statements.count }

    /// Queues `sql` with `values` as its `$1…$n`; returns where its answer will be in
    /// `PostgresConnection.run(_:)`'s results.
    @discardableResult
    public mutating func append(_ sql: String, _ values: [PostgresValue] = [], operation: String) -> Int {
        statements.append(Statement(sql: sql, values: values, operation: operation))
        return statements.count - 1
    }
}

/// One statement's answer: rows changed (or returned) and the rows themselves. Owns its
/// libpq result, freed in `deinit` (its one release site).
public final class PostgresResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// Rows the statement inserted, updated or deleted (with RETURNING: returned), or
    /// the rows a query returned.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? Int(PQntuples(handle)) }

    public var rowCount: Int { Int(PQntuples(handle)) }

    /// Every row, mapped.
    public func rows<T>(_ map: (PostgresRow) -> T) -> [T] {
        (0..<PQntuples(handle)).map { map(PostgresRow(result: handle, row: $0)) }
    }
}

extension PostgresConnection {
    /// Runs every statement of `pipeline` in one round trip and returns their answers in
    /// order. Throws the first statement's failure (after the others' answers were read,
    /// so the connection is ready for the caller's ROLLBACK), or a connection failure.
    public func run(_ pipeline: PostgresPipeline) throws(PostgresError) -> [PostgresResult] {
        var results: [PostgresResult] = []
        for outcome in try outcomes(of: pipeline) { results.append(try outcome.get()) }
        return results
    }

    /// Runs every statement of `pipeline` in one round trip and returns each one's
    /// outcome in order: its answer, or its failure. The server skips every statement
    /// after a failed one; those fail with `skipped`. Throws only when the connection
    /// failed. For callers whose statements may "fail" without an error (an UPDATE that
    /// changed no row) and must report what came first, as statements run one by one
    /// would have.
    ///
    /// The connection is switched to non-blocking while the pipeline runs: libpq warns
    /// that a pipeline in blocking mode can deadlock (both sides waiting to write while
    /// neither reads), so sending and reading are driven by `poll` on the socket.
    public func outcomes(of pipeline: PostgresPipeline) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        guard !pipeline.isEmpty else { return [] }
        // Prepared before entering the pipeline: PQprepare waits for its answer, which
        // pipeline mode forbids. Only a statement new to this connection costs this.
        var names: [String] = []
        for statement in pipeline.statements {
            names.append(try statementName(statement.sql, operation: statement.operation))
        }
        let operation = pipeline.statements[0].operation
        guard PQenterPipelineMode(handle) == 1, PQsetnonblocking(handle, 1) == 0 else {
            throw abandonPipeline(operation: operation)
        }
        do throws(PostgresError) {
            for (statement, name) in zip(pipeline.statements, names) {
                try send(statement, prepared: name)
            }
            guard PQpipelineSync(handle) == 1 else { throw abandonPipeline(operation: operation) }
            try flushPipeline(operation: operation)
            let outcomes = try readPipeline(pipeline)
            guard PQexitPipelineMode(handle) == 1, PQsetnonblocking(handle, 0) == 0 else {
                throw abandonPipeline(operation: operation)
            }
            return outcomes
        } catch {
            if PQpipelineStatus(handle) != PQ_PIPELINE_OFF { _ = abandonPipeline(operation: operation) }
            throw error
        }
    }

    /// The failure of a statement the server skipped because one before it failed.
    static func skipped(_ operation: String) -> PostgresError {
        PostgresError(sqlState: nil, message: "skipped: an earlier statement of the pipeline failed", operation: operation)
    }

    private func send(_ statement: PostgresPipeline.Statement, prepared name: String) throws(PostgresError) {
        let parameters = PostgresParameters(statement.values)
        defer { parameters.free() }
        guard PQsendQueryPrepared(handle, name, Int32(statement.values.count), parameters.values, parameters.lengths,
                                  parameters.formats, 0) == 1 else {
            throw abandonPipeline(operation: statement.operation)
        }
    }

    /// Sends everything queued, reading answers meanwhile so the server never blocks on
    /// a full socket while this side waits to write.
    private func flushPipeline(operation: String) throws(PostgresError) {
        while true {
            switch PQflush(handle) {
            case 0: return
            case 1:
                let ready = try waitForSocket(write: true, operation: operation)
                if ready.readable, PQconsumeInput(handle) == 0 { throw abandonPipeline(operation: operation) }
            default: throw abandonPipeline(operation: operation)
            }
        }
    }

    /// Reads each statement's answer (a result, then nil), then the sync point.
    private func readPipeline(_ pipeline: PostgresPipeline) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        var outcomes: [Result<PostgresResult, PostgresError>] = []
        for statement in pipeline.statements {
            guard let result = try nextResult(operation: statement.operation) else {
                throw abandonPipeline(operation: statement.operation)
            }
            let owned = PostgresResult(result)
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                outcomes.append(.failure(Self.skipped(statement.operation)))
            } else {
                do throws(PostgresError) {
                    try check(result, operation: statement.operation)
                    outcomes.append(.success(owned))
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            // Each statement's results end with nil.
            guard try nextResult(operation: statement.operation) == nil else {
                throw abandonPipeline(operation: statement.operation)
            }
        }
        let operation = pipeline.statements[pipeline.count - 1].operation
        guard let sync = try nextResult(operation: operation) else { throw abandonPipeline(operation: operation) }
        defer { PQclear(sync) }
        guard PQresultStatus(sync) == PGRES_PIPELINE_SYNC else { throw abandonPipeline(operation: operation) }
        return outcomes
    }

    /// `PQgetResult` once it will not block: waits on the socket while libpq is busy.
    private func nextResult(operation: String) throws(PostgresError) -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            _ = try waitForSocket(write: false, operation: operation)
            guard PQconsumeInput(handle) == 1 else { throw abandonPipeline(operation: operation) }
        }
        return PQgetResult(handle)
    }

    /// Waits until the socket can be read (or written, with `write`). No timeout of its
    /// own, like libpq's blocking calls: a statement may wait for a row lock as long as
    /// the server lets it, and a vanished server ends the wait through the connection's
    /// `tcp_user_timeout` (the socket reports an error).
    private func waitForSocket(write: Bool, operation: String) throws(PostgresError) -> (readable: Bool, writable: Bool) {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN) | (write ? Int16(POLLOUT) : 0), revents: 0)
        guard descriptor.fd >= 0 else { throw abandonPipeline(operation: operation) }
        while true {
            let ready = poll(&descriptor, 1, -1)
            if ready > 0 { break }
            if ready < 0 && errno != EINTR { throw abandonPipeline(operation: operation) }
        }
        let readable = descriptor.revents & (Int16(POLLIN) | Int16(POLLERR) | Int16(POLLHUP)) != 0
        return (readable, descriptor.revents & Int16(POLLOUT) != 0)
    }

    /// The pipeline cannot be finished (the connection failed, or libpq refused a step):
    /// the session is reset so the pool hands out a clean connection (or a broken one it
    /// reconnects), and the caller gets a connection error — the outcome of the
    /// transaction is unknown only as with any lost connection (it did not commit here).
    private func abandonPipeline(operation: String) -> PostgresError {
        let message = Self.trimmed(PQerrorMessage(handle))
        try? reset()
        return PostgresError(sqlState: nil, message: message, operation: operation, connectionLost: true)
    }
}
