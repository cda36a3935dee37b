public import Foundation

/// One-dimensional arrays as ONE query parameter, in PostgreSQL's binary array format
/// (what the server's `array_recv` reads), so a whole column of rows travels in one
/// statement: `INSERT … SELECT * FROM unnest($1::text[], $2::bigint[])`.
///
/// Why binary: the text form (`{"a","b"}`) needs quoting and escaping of every element
/// and hex-doubles bytes; the binary form is each element's bytes with its length. The
/// SQL's cast (`$1::text[]`) tells the server the parameter's type, and the element type
/// written here must match it (the server refuses "wrong element type" otherwise).
///
/// Layout (big-endian): dimensions (1, or 0 when empty), has-nulls flag, element type
/// OID, then per dimension its length and lower bound (1), then per element its byte
/// length (-1 for NULL) and bytes.
public enum PostgresArray {
    /// Element type OIDs (pg_type.dat; fixed since PostgreSQL's first releases).
    static let textOID: UInt32 = 25
    static let byteaOID: UInt32 = 17
    static let int8OID: UInt32 = 20

    /// A `text[]` parameter.
    public static func text(_ values: [String?]) -> PostgresValue {
        encode(values.map { $0.map { Data($0.utf8) } }, elementType: textOID)
    }

    /// A `bytea[]` parameter.
    public static func bytes(_ values: [Data?]) -> PostgresValue {
        encode(values, elementType: byteaOID)
    }

    /// A `bigint[]` parameter.
    public static func int64(_ values: [Int64?]) -> PostgresValue {
        encode(values.map { $0.map { value in withUnsafeBytes(of: value.bigEndian) { Data($0) } } }, elementType: int8OID)
    }

    /// The binary array; sent as a binary-format parameter (`PostgresValue.bytes`).
    static func encode(_ elements: [Data?], elementType: UInt32) -> PostgresValue {
        var data = Data(capacity: 20 + elements.reduce(0) { $0 + 4 + ($1?.count ?? 0) })
        func append(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) } }
        append(elements.isEmpty ? 0 : 1)
        append(elements.contains(where: { $0 == nil }) ? 1 : 0)
        append(Int32(bitPattern: elementType))
        if !elements.isEmpty {
            append(Int32(elements.count))
            append(1)
        }
        for element in elements {
            guard let element else { append(-1); continue }
            append(Int32(element.count))
            data.append(element)
        }
        return .bytes(data)
    }
}
