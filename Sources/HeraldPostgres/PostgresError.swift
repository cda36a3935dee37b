/// A failure reported by libpq or the server, with the server's SQLSTATE when there is one.
///
/// The SQLSTATE (five characters, e.g. `23505` unique violation, `40001` serialization
/// failure, `08006` connection failure) is the server's stable classification; `kind`
/// groups the states Herald treats alike, and `HeraldPostgres` maps it to a `StoreError`
/// code (`StoreError+Postgres.swift`). The message is the server's or libpq's text,
/// never the connection URL (which may hold a password).
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// How Herald reacts to a failure; derived from the SQLSTATE (or its absence).
    public enum Kind: String, Sendable {
        /// The connection is gone or could not be made (class 08, admin shutdown, no
        /// SQLSTATE with a bad connection): the pool reconnects, callers answer 503.
        case connection
        /// Serialization failure or deadlock (40001, 40P01): retry the whole transaction.
        case retryable
        /// A lock or statement timeout (55P03, 57014): another session holds the rows.
        case busy
        /// A unique, foreign-key, check or not-null rule was broken (class 23).
        case constraint
        /// The server cannot write: a standby, or `default_transaction_read_only` (25006).
        case readonly
        /// Disk full (53100).
        case full
        /// Out of memory (53200).
        case noMemory
        /// Too many connections or another resource limit (class 53 otherwise).
        case overloaded
        /// Data corruption (XX001, XX002).
        case corrupt
        /// Bad SQL or a wrong call: a bug in Herald (class 42, 22, or libpq misuse).
        case misuse
        /// The database's schema is not this Herald's (Herald's own check: HR426 from
        /// `herald_require_schema`, or none at open).
        case schemaTooNew
        /// A checked write found a row changed since it was read, or an event id already
        /// stored (Herald's own check: HR409 from `herald_conflict`): re-read and decide again.
        case conflict
        /// Anything else; the message says what.
        case other
    }

    /// The server's SQLSTATE; nil when libpq failed before the server answered.
    public let sqlState: String?
    public let message: String
    /// What Herald was doing (`"connect"`, `"commit"`, …); a log key, not for parsing.
    public let operation: String
    /// True when the connection was unusable after the failure.
    public let connectionLost: Bool

    /// Set for failures Herald itself detects (no SQLSTATE), e.g. an exhausted pool.
    private let assignedKind: Kind?

    public init(sqlState: String?, message: String, operation: String, connectionLost: Bool = false,
                kind: Kind? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.operation = operation
        self.connectionLost = connectionLost
        self.assignedKind = kind
    }

    public var kind: Kind {
        if let assignedKind { return assignedKind }
        if connectionLost { return .connection }
        guard let state = sqlState, state.count == 5 else { return .other }
        switch state {
        case "40001", "40P01": return .retryable
        case "55P03", "57014": return .busy
        case "25006": return .readonly
        case "53100": return .full
        case "53200": return .noMemory
        case "XX001", "XX002": return .corrupt
        case "57P01", "57P02", "57P03": return .connection
        case PostgresSchema.conflictState: return .conflict
        case PostgresSchema.schemaState: return .schemaTooNew
        default: break
        }
        switch state.prefix(2) {
        case "08": return .connection
        case "23": return .constraint
        case "53": return .overloaded
        case "42", "22": return .misuse
        default: return .other
        }
    }

    public var description: String {
        "postgresql \(operation) failed (\(sqlState ?? "no sqlstate")): \(message)"
    }
}
