public import HeraldStore

extension StoreError {
    /// A PostgreSQL failure as the store's stable code: the daemon answers 503 for the
    /// environment ones (`isUnavailable`: a lost connection, a standby, a full disk, an
    /// exhausted pool) exactly as it does for SQLite's. The SQLSTATE stays in the message.
    public init(_ error: PostgresError) {
        let code: StoreError.Code = switch error.kind {
        case .connection: .io
        case .retryable, .busy: .busy
        case .constraint: .constraint
        case .readonly: .readonly
        case .full: .full
        case .noMemory: .noMemory
        case .overloaded: .overloaded
        case .corrupt: .corrupt
        case .misuse: .misuse
        case .schemaTooNew: .schemaTooNew
        case .conflict: .conflict
        case .other: .other
        }
        // Herald's own states (class HR: a conflict, a schema refusal) carry SQLite's message.
        let state = error.sqlState.flatMap { $0.hasPrefix("HR") ? nil : " (SQLSTATE \($0))" } ?? ""
        self.init(code: code, operation: error.operation, message: error.message + state)
    }
}
