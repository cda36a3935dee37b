internal import CPostgreSQL
public import Foundation

/// One row of a result, read by column number in the order the SELECT names them. Valid
/// only inside the `rows`/`firstRow` closure that receives it (the result is freed after).
///
/// Results come in PostgreSQL's text format; `bytea` arrives hex-escaped and is decoded
/// with libpq's own `PQunescapeBytea`.
public struct PostgresRow {
    let result: OpaquePointer
    let row: Int32

    public var columnCount: Int { Int(PQnfields(result)) }

    public func isNull(_ column: Int) -> Bool { PQgetisnull(result, row, Int32(column)) == 1 }

    /// The column as text ("" for NULL).
    public func text(_ column: Int) -> String { String(cString: PQgetvalue(result, row, Int32(column))) }

    public func optionalText(_ column: Int) -> String? { isNull(column) ? nil : text(column) }

    /// The column as an integer (0 for NULL or a value that is not one).
    public func int64(_ column: Int) -> Int64 { Int64(text(column)) ?? 0 }

    public func int(_ column: Int) -> Int { Int(int64(column)) }

    public func optionalInt(_ column: Int) -> Int? { isNull(column) ? nil : int(column) }

    /// A `bytea` column's bytes (empty for NULL).
    public func bytes(_ column: Int) -> Data { optionalBytes(column) ?? Data() }

    public func optionalBytes(_ column: Int) -> Data? {
        guard !isNull(column) else { return nil }
        var length = 0
        guard let raw = PQgetvalue(result, row, Int32(column)),
              let decoded = raw.withMemoryRebound(to: UInt8.self, capacity: 1, { PQunescapeBytea($0, &length) }) else {
            return nil
        }
        defer { PQfreemem(decoded) }
        return Data(bytes: decoded, count: length)
    }
}

/// Parameter arrays for `PQexecPrepared`, copied into C memory for the call and released
/// by `free()` (its one release site, in `PostgresConnection.executePrepared`).
struct PostgresParameters {
    let values: [UnsafePointer<CChar>?]
    let lengths: [Int32]
    let formats: [Int32]
    private let owned: [UnsafeMutableRawPointer]

    init(_ parameters: [PostgresValue]) {
        var values: [UnsafePointer<CChar>?] = [], lengths: [Int32] = [], formats: [Int32] = []
        var owned: [UnsafeMutableRawPointer] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                values.append(nil); lengths.append(0); formats.append(0)
            case .text(let string):
                let copy = strdup(string)!
                owned.append(UnsafeMutableRawPointer(copy))
                values.append(UnsafePointer(copy)); lengths.append(0); formats.append(0)
            case .bytes(let data):
                // Binary format: the bytes as they are, with their length (1 byte at least
                // so an empty value still has an address).
                let copy = malloc(max(data.count, 1))!
                data.withUnsafeBytes { if let base = $0.baseAddress { copy.copyMemory(from: base, byteCount: data.count) } }
                owned.append(copy)
                values.append(UnsafePointer(copy.assumingMemoryBound(to: CChar.self)))
                lengths.append(Int32(data.count)); formats.append(1)
            }
        }
        (self.values, self.lengths, self.formats, self.owned) = (values, lengths, formats, owned)
    }

    func free() { owned.forEach { Foundation.free($0) } }
}
