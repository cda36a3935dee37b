internal import CPostgreSQL
import Foundation

/// The one Swift owner of a libpq `PGconn*`: connect, run parameterised SQL through
/// statements prepared once per connection, read rows, and tell a broken connection from
/// a failed statement. Closed in `deinit`.
///
/// Not thread-safe (libpq's connection is not): `PostgresPool` hands each connection to
/// one caller at a time. Calls block until the server answers; `connectTimeoutSeconds`
/// and `tcpUserTimeoutMilliseconds` bound how long a vanished server can hold a caller.
public final class PostgresConnection {
    /// How long connecting may take before it fails: a failover or a stopped server
    /// should turn into 503s within an ingest client's patience, not hang.
    public static let connectTimeoutSeconds = 5
    /// How long sent data may stay unacknowledged before the kernel drops the connection:
    /// without it a server that vanished without a reset holds a caller for the kernel's
    /// ~15 minutes of retransmissions. Longer than any statement Herald runs.
    public static let tcpUserTimeoutMilliseconds = 20_000

    /// The libpq connection; internal so the pipeline (PostgresPipeline.swift) drives it.
    let handle: OpaquePointer
    /// Statement names by SQL text. Bounded: every SQL string comes from Herald's code (a
    /// few dozen shapes), never from input. Emptied when the session is reset.
    private var prepared: [String: String] = [:]

    /// Connects with `url` (a `postgresql://` URL or a `key=value` string, as libpq takes
    /// them). The URL's own settings win over Herald's defaults (timeouts, application name).
    public init(url: String, applicationName: String = "herald") throws(PostgresError) {
        let settings: [(String, String)] = [
            ("connect_timeout", String(Self.connectTimeoutSeconds)),
            ("tcp_user_timeout", String(Self.tcpUserTimeoutMilliseconds)),
            ("application_name", applicationName),
            ("dbname", url),   // last: expanded, so what the URL says overrides the above
        ]
        let connection = Self.connect(settings)
        guard let connection else {
            throw PostgresError(sqlState: nil, message: "libpq could not allocate a connection", operation: "connect",
                                connectionLost: true)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(sqlState: nil, message: message, operation: "connect", connectionLost: true)
        }
        handle = connection
        Self.silenceNotices(handle)
    }

    deinit { PQfinish(handle) }

    /// `PQconnectdbParams` with C strings that live for the call.
    private static func connect(_ settings: [(String, String)]) -> OpaquePointer? {
        let keys = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer { (keys + values).forEach { free($0) } }
        let keyPointers = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        return PQconnectdbParams(keyPointers, valuePointers, 1)
    }

    /// The server's NOTICE messages ("relation already exists, skipping") would go to
    /// stderr by default; Herald logs what matters itself.
    private static func silenceNotices(_ handle: OpaquePointer) {
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    // MARK: - State

    /// True when the connection is no longer usable (the server closed it, the network failed).
    public var isBroken: Bool { PQstatus(handle) != CONNECTION_OK }

    /// True while a transaction is open on this connection (also when it failed and
    /// awaits ROLLBACK).
    public var inTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Reconnects with the same settings (a new session: prepared statements are gone).
    public func reset() throws(PostgresError) {
        prepared.removeAll()
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(sqlState: nil, message: Self.trimmed(PQerrorMessage(handle)), operation: "reconnect",
                                connectionLost: true)
        }
    }

    /// The server's major version number (e.g. 15), for messages and checks.
    public var serverVersion: Int { Int(PQserverVersion(handle)) / 10_000 }

    // MARK: - Running SQL

    /// Runs SQL text that takes no parameters and may hold several statements
    /// (migrations, `BEGIN`, `COMMIT`). Not prepared: such text runs rarely.
    public func execute(_ sql: String, operation: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, operation: operation)
    }

    /// Runs one statement with `values` as its `$1…$n`; returns the rows it changed
    /// (or returned).
    @discardableResult
    public func run(_ sql: String, _ values: [PostgresValue] = [], operation: String) throws(PostgresError) -> Int {
        let result = try executePrepared(sql, values, operation: operation)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? Int(PQntuples(result))
    }

    /// Runs a query and maps every row.
    public func rows<T>(_ sql: String, _ values: [PostgresValue] = [], operation: String,
                        _ map: (PostgresRow) -> T) throws(PostgresError) -> [T] {
        let result = try executePrepared(sql, values, operation: operation)
        defer { PQclear(result) }
        return (0..<PQntuples(result)).map { map(PostgresRow(result: result, row: $0)) }
    }

    /// The first row of a query, mapped, or nil when there is none.
    public func firstRow<T>(_ sql: String, _ values: [PostgresValue] = [], operation: String,
                            _ map: (PostgresRow) -> T) throws(PostgresError) -> T? {
        let result = try executePrepared(sql, values, operation: operation)
        defer { PQclear(result) }
        return PQntuples(result) > 0 ? map(PostgresRow(result: result, row: 0)) : nil
    }

    /// Prepares `sql` on first use on this connection, then executes it with `values`.
    /// The result is the caller's to clear.
    private func executePrepared(_ sql: String, _ values: [PostgresValue],
                                 operation: String) throws(PostgresError) -> OpaquePointer {
        let name = try statementName(sql, operation: operation)
        let parameters = PostgresParameters(values)
        defer { parameters.free() }
        let result = PQexecPrepared(handle, name, Int32(values.count), parameters.values, parameters.lengths,
                                    parameters.formats, 0)
        do throws(PostgresError) {
            try check(result, operation: operation)
        } catch {
            PQclear(result)
            throw error
        }
        return result!
    }

    /// The name `sql` is prepared under on this connection, preparing it when new.
    func statementName(_ sql: String, operation: String) throws(PostgresError) -> String {
        if let name = prepared[sql] { return name }
        let name = "herald_\(prepared.count + 1)"
        let result = PQprepare(handle, name, sql, 0, nil)
        defer { PQclear(result) }
        try check(result, operation: operation)
        prepared[sql] = name
        return name
    }

    /// Throws unless `result` is a successful command or query result.
    func check(_ result: OpaquePointer?, operation: String) throws(PostgresError) {
        guard let result else {
            throw PostgresError(sqlState: nil, message: Self.trimmed(PQerrorMessage(handle)), operation: operation,
                                connectionLost: isBroken)
        }
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        let state = PQresultErrorField(result, herald_pq_diag_sqlstate()).map { String(cString: $0) }
        // Herald's own errors (class HR, raised by its functions) say everything in their
        // primary message; the rest would be the function's context lines.
        let message = state?.hasPrefix("HR") == true ? PQresultErrorField(result, herald_pq_diag_message_primary())
                                                     : PQresultErrorMessage(result)
        throw PostgresError(sqlState: state, message: Self.trimmed(message), operation: operation, connectionLost: isBroken)
    }

    /// libpq's messages end with a newline (and sometimes carry "ERROR:  " prefixes).
    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        var text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("ERROR:") { text = String(text.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        return text.isEmpty ? "unknown libpq error" : text
    }
}
