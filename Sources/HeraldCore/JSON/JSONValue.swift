public import Foundation

/// A JSON document as plain values, read by `JSONParser`.
///
/// Config and events are read through this tree (not `Codable`) so that every problem
/// can be reported with its JSON path, all at once, including unknown keys.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses UTF-8 JSON text with `JSONParser`. Syntax errors carry the line and
    /// column of the fault. Callers that must refuse duplicate keys use
    /// `JSONParser.parse`, which also returns them.
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        try JSONParser.parse(data).value
    }

    /// A short name of the value's JSON type for error messages ("expected string, found number").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A 1-based line and column in a source text.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}
