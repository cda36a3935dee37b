public import Foundation

/// A value passed as a query parameter. Values always travel as parameters, never spliced
/// into SQL text: text in PostgreSQL's text format (the server converts it to the
/// column's type), bytes in binary format as `bytea` (no escaping, no doubling in size).
public enum PostgresValue: Sendable, Equatable {
    case null
    case text(String)
    case bytes(Data)

    /// An integer in text format (the server reads it as the column's integer type).
    public static func integer(_ value: Int64) -> PostgresValue { .text(String(value)) }
    /// `NULL` when the optional is nil, otherwise the integer.
    public static func integer(_ value: Int?) -> PostgresValue { value.map { .text(String($0)) } ?? .null }
    /// `NULL` when the optional is nil, otherwise the text.
    public static func text(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
    /// `NULL` when the optional is nil, otherwise the bytes.
    public static func bytes(_ value: Data?) -> PostgresValue { value.map { .bytes($0) } ?? .null }
}
