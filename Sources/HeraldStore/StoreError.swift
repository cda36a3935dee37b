import CSQLite

/// Every failure of the store, as a value with a stable code.
///
/// The code is the metric label (`herald_store_errors_total{code}`) and the log key, so it
/// never changes once shipped; the message is SQLite's own text for people. Environment
/// failures (disk full, read-only file, I/O error, busy database) are errors, never
/// crashes, so the daemon can answer 503 and keep running (STYLE.md principle 6).
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable classification of a store failure.
    public enum Code: String, Sendable, CaseIterable {
        /// Another connection holds the lock longer than the busy timeout.
        case busy
        /// The database cannot be written (file permissions, `query_only`, read-only mount).
        case readonly
        /// The disk (or the configured page limit) is full.
        case full
        /// The file is not a database or is damaged.
        case corrupt
        /// The operating system reported an I/O error, or a file could not be opened.
        case io
        /// A uniqueness or foreign-key rule was broken: a bug in the caller's ids.
        case constraint
        /// The file was written by a newer Herald whose schema this code does not know.
        case schemaTooNew = "schema_too_new"
        /// The API or SQLite was used wrongly (a bug), or SQL failed to prepare.
        case misuse
        /// SQLite ran out of memory.
        case noMemory = "no_memory"
        /// The group committer has more pending batches than it accepts (answer 429/503).
        case overloaded
        /// What the commit was based on changed: a rule state row another process (or an
        /// earlier commit) wrote since it was read, or an event id already accepted. Nothing
        /// was written; re-read the named rows and decide again (issue #20).
        case conflict
        /// Any other SQLite result code; the message says which.
        case other
    }

    public let code: Code
    /// What the store was doing, e.g. `"commit"` or `"open"`; a log key, not for parsing.
    public let operation: String
    /// SQLite's message (or ours when SQLite was not involved).
    public let message: String
    /// The extended SQLite result code, when SQLite produced the error.
    public let sqliteResultCode: Int32?

    public init(code: Code, operation: String, message: String, sqliteResultCode: Int32? = nil) {
        self.code = code
        self.operation = operation
        self.message = message
        self.sqliteResultCode = sqliteResultCode
    }

    /// True for failures of the environment that may clear without a code change
    /// (busy, read-only, full, I/O, overload): the daemon answers 503 and retries later.
    public var isUnavailable: Bool {
        switch code {
        case .busy, .readonly, .full, .io, .overloaded, .noMemory: true
        default: false
        }
    }

    public var description: String {
        "store \(operation) failed (\(code.rawValue)): \(message)"
    }

    /// Classifies an SQLite result code (primary or extended) into a stable code.
    static func code(forSQLiteResult result: Int32) -> Code {
        switch result & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_READONLY, SQLITE_PERM: .readonly
        case SQLITE_FULL: .full
        case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL: .io
        case SQLITE_CONSTRAINT: .constraint
        case SQLITE_MISUSE, SQLITE_RANGE: .misuse
        case SQLITE_NOMEM: .noMemory
        default: .other
        }
    }

    /// An error built from an SQLite result code and the connection's current message.
    init(sqliteResult result: Int32, message: String, operation: String) {
        self.init(code: StoreError.code(forSQLiteResult: result), operation: operation,
                  message: message, sqliteResultCode: result)
    }
}
