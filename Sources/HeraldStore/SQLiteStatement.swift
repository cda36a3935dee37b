import CSQLite
import Foundation

/// A value bound to an SQL parameter. Kept to the four storage classes Herald uses.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob(Data)
    case null

    /// `NULL` when the optional is nil, otherwise the integer.
    static func integer(_ value: Int?) -> SQLiteValue { value.map { .integer(Int64($0)) } ?? .null }
    /// `NULL` when the optional is nil, otherwise the integer.
    static func integer(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
    /// `NULL` when the optional is nil, otherwise the text.
    static func text(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    /// `NULL` when the optional is nil, otherwise the blob.
    static func blob(_ value: Data?) -> SQLiteValue { value.map { .blob($0) } ?? .null }
}

/// The one Swift owner of an `sqlite3_stmt*`; finalized in `deinit`.
///
/// Statements are prepared once and cached by `SQLiteConnection` (preparing costs more than
/// running a small insert), so each use binds, steps, and is then `reset`. Confined to the
/// store's queue like its connection.
final class SQLiteStatement {
    let handle: OpaquePointer
    /// The owning connection's handle, only for error messages; the connection outlives
    /// its cached statements (it finalizes them before closing).
    private let database: OpaquePointer
    let sql: String

    init(handle: OpaquePointer, database: OpaquePointer, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds all parameters by position (1-based in SQLite, 0-based in `values`).
    /// Text and blobs are bound TRANSIENT because Swift's pointers are temporaries.
    func bind(_ values: [SQLiteValue], operation: String) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let result: Int32
            switch value {
            case .integer(let number):
                result = sqlite3_bind_int64(handle, index, number)
            case .text(let string):
                let length = Int32(string.utf8.count)
                result = string.withCString { sqlite3_bind_text(handle, index, $0, length, herald_sqlite_transient()) }
            case .blob(let data) where data.isEmpty:
                // An empty buffer may have a nil base address, which would bind NULL.
                result = sqlite3_bind_zeroblob(handle, index, 0)
            case .blob(let data):
                result = data.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), herald_sqlite_transient())
                }
            case .null:
                result = sqlite3_bind_null(handle, index)
            }
            guard result == SQLITE_OK else { throw error(result, operation) }
        }
    }

    /// Advances one row: true when a row is available, false when done.
    func step(operation: String) throws(StoreError) -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(result, operation)
        }
    }

    /// Makes the statement ready for the next use and drops bound copies of large blobs.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func error(_ result: Int32, _ operation: String) -> StoreError {
        StoreError(sqliteResult: sqlite3_extended_errcode(database),
                   message: String(cString: sqlite3_errmsg(database)), operation: operation)
    }
}

/// Typed read access to the current row of a stepped statement (0-based columns).
struct SQLiteRow {
    let statement: OpaquePointer

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    /// Columns the statement returns.
    var columnCount: Int32 { sqlite3_column_count(statement) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func blob(_ column: Int32) -> Data {
        guard let bytes = sqlite3_column_blob(statement, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }

    func optionalBlob(_ column: Int32) -> Data? { isNull(column) ? nil : blob(column) }

    /// Reads a millisecond timestamp column as a `Date` (see `StoreTime`).
    func date(_ column: Int32) -> Date { StoreTime.date(fromMilliseconds: int64(column)) }
}
