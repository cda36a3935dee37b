import Foundation

/// A fixed number of connections to one database, lent to one caller at a time.
///
/// Connections open on first need (start-up opens one to fail early on a bad URL) and
/// are kept; one found broken when lent (the server restarted, a failover) is reconnected
/// first, so callers see one 503-able failure per outage, not a dead pool. Every wait is
/// bounded: a caller that cannot get a connection in `checkoutTimeoutSeconds` gets an
/// `overloaded` error rather than queueing forever.
public final class PostgresPool: @unchecked Sendable {
    /// How long a caller waits for a free connection: longer than a normal transaction
    /// by far, shorter than an HTTP client's patience.
    public static let checkoutTimeoutSeconds = 10
    /// Most connections a pool holds; `store.postgresql.connections` is checked against it.
    public static let maxConnections = 64
    /// How many times a transaction that lost a serialization race or deadlock (SQLSTATE
    /// 40001/40P01) is run again before the error is returned.
    public static let transactionAttempts = 3

    private let url: String
    private let applicationName: String
    public let size: Int
    private let lock = NSLock()
    private let slots: DispatchSemaphore
    /// Idle connections, guarded by `lock`.
    private var idle: [PostgresConnection] = []

    /// Opens one connection at once, so a bad URL or an unreachable server fails here.
    public init(url: String, size: Int, applicationName: String = "herald") throws(PostgresError) {
        precondition((1...Self.maxConnections).contains(size), "pool size \(size) out of range")
        self.url = url
        self.size = size
        self.applicationName = applicationName
        slots = DispatchSemaphore(value: size)
        idle = [try PostgresConnection(url: url, applicationName: applicationName)]
    }

    /// Runs `body` with a connection of its own; the connection returns to the pool after.
    public func withConnection<T>(operation: String,
                                  _ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        guard slots.wait(timeout: .now() + .seconds(Self.checkoutTimeoutSeconds)) == .success else {
            throw PostgresError(sqlState: nil, message: "all \(size) connections stayed busy for \(Self.checkoutTimeoutSeconds) s",
                                operation: operation, kind: .overloaded)
        }
        defer { slots.signal() }
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// Runs `body` inside BEGIN … COMMIT on one connection, rolling back on any error.
    /// A serialization failure or deadlock runs the whole body again (it must only touch
    /// the database, so running it again is safe), at most `transactionAttempts` times.
    public func transaction<T>(operation: String,
                               _ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        try retrying(operation: operation) { (connection) throws(PostgresError) in
            try connection.transaction(operation: operation) { () throws(PostgresError) in try body(connection) }
        }
    }

    /// Runs `body` (a whole transaction of its own making, e.g. a pipelined one) with a
    /// connection, again after a serialization failure or deadlock, at most
    /// `transactionAttempts` times.
    public func retrying<T>(operation: String,
                            _ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        var attempt = 1
        while true {
            do throws(PostgresError) {
                return try withConnection(operation: operation, body)
            } catch where error.kind == .retryable && attempt < Self.transactionAttempts {
                attempt += 1
            }
        }
    }

    /// An idle connection, a new one, or a broken one reconnected.
    private func checkOut() throws(PostgresError) -> PostgresConnection {
        let reused = lock.withLock { idle.popLast() }
        guard let connection = reused else {
            return try PostgresConnection(url: url, applicationName: applicationName)
        }
        if connection.isBroken {
            do throws(PostgresError) { try connection.reset() } catch {
                checkIn(connection)   // kept: the next caller tries to reconnect again
                throw error
            }
        }
        return connection
    }

    private func checkIn(_ connection: PostgresConnection) {
        if connection.inTransaction && !connection.isBroken {
            try? connection.execute("ROLLBACK", operation: "rollback")   // a body that left one open
        }
        lock.withLock { idle.append(connection) }
    }
}

extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`; on any error rolls back and rethrows.
    /// A failure of COMMIT itself leaves the outcome unknown to the caller only when the
    /// connection broke (then the error is a `connection` one: answer 503, the client retries
    /// and the event id makes the retry harmless).
    public func transaction<T>(operation: String, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        try execute("BEGIN", operation: operation)
        do throws(PostgresError) {
            let value = try body()
            try execute("COMMIT", operation: operation)
            return value
        } catch {
            if inTransaction && !isBroken { try? execute("ROLLBACK", operation: "rollback") }
            throw error
        }
    }
}
