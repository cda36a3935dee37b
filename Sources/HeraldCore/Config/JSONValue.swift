public import Foundation

/// A JSON document as plain values, decoded by Foundation's `JSONSerialization`.
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

    /// Parses UTF-8 JSON text. Syntax errors carry the line and column of the fault.
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw JSONSyntaxError(from: error as NSError, in: data)
        }
        return JSONValue(foundation: object)
    }

    /// Parses large documents (configs) through `JSONDecoder`, whose intermediate form
    /// is far smaller than `JSONSerialization`'s object tree: a 100,000-user config
    /// peaked at 712 MiB the other way. Only a valid document goes this way; on any
    /// failure the text is parsed again by `parse` for its precise syntax error.
    public static func parseCompact(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        if let value = try? JSONDecoder().decode(DecodedJSON.self, from: data) { return value.value }
        return try parse(data)
    }

    /// Converts `JSONSerialization` output. Booleans arrive as a distinct NSNumber
    /// subclass; `NSNumber(1) is Bool` is true on Linux, so the class is compared instead.
    ///
    /// The container and string cases are tried before `NSNumber`: casting a Swift
    /// array or dictionary to a class type bridges the whole subtree to NSArray /
    /// NSDictionary just to fail, which made the conversion quadratic in nesting depth
    /// (87 % of a 10,000-user config load; see BENCHMARKS.md).
    init(foundation value: Any) {
        if let string = value as? String {
            self = .string(string)
        } else if let object = value as? [String: Any] {
            self = .object(object.mapValues(JSONValue.init(foundation:)))
        } else if let array = value as? [Any] {
            self = .array(array.map(JSONValue.init(foundation:)))
        } else if let number = value as? NSNumber {
            self = type(of: number) == JSONValue.booleanClass ? .bool(number.boolValue) : .number(number.doubleValue)
        } else {
            self = .null
        }
    }

    private static let booleanClass: AnyClass = type(of: NSNumber(value: true))

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

    /// Converts back to Foundation objects, for `JSONSerialization` output.
    public var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let b): b
        case .number(let n): n
        case .string(let s): s
        case .array(let a): a.map(\.foundationObject)
        case .object(let o): o.mapValues(\.foundationObject)
        }
    }
}

/// A JSON syntax error with the place it was found.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int?
    public let column: Int?

    init(message: String, line: Int?, column: Int?) {
        self.message = message
        self.line = line
        self.column = column
    }

    /// Foundation reports "… around character N." (or "line L, column C"); turn the
    /// character offset into a line and column so the operator can find the fault.
    init(from error: NSError, in data: Data) {
        let detail = (error.userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
        var line: Int?
        var column: Int?
        if let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
           let offset = Int(detail[range].split(separator: " ")[1]) {
            (line, column) = SourcePosition.lineAndColumn(ofByte: offset, in: data)
        } else if let range = detail.range(of: #"Number (\S+) is not representable"#, options: .regularExpression),
                  let literal = detail[range].split(separator: " ").dropFirst().first,
                  let found = data.firstRange(of: Data(literal.utf8)) {
            // Foundation names the literal but not its place: find it in the text.
            (line, column) = SourcePosition.lineAndColumn(ofByte: found.lowerBound - data.startIndex, in: data)
        } else if let range = detail.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) {
            let numbers = detail[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count == 2 { (line, column) = (numbers[0], numbers[1]) }
        } else if detail.contains("end of file") {
            // Truncated text: Foundation names no place, but the fault is where it ends.
            (line, column) = SourcePosition.lineAndColumn(ofByte: data.count, in: data)
        }
        let text = detail
            .replacingOccurrences(of: #"\s*around (line \d+, column \d+|character \d+)\.?"#, with: "", options: .regularExpression)
            .trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        self.init(message: "invalid JSON: " + (text.isEmpty ? "syntax error" : text.prefix(1).lowercased() + text.dropFirst()),
                  line: line, column: column)
    }

    public var description: String {
        if let line, let column { return "\(line):\(column): \(message)" }
        return message
    }
}

/// A 1-based line and column in a source text.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public var description: String { "\(line):\(column)" }

    /// Line and column of a byte offset; columns count bytes, which is what editors show
    /// for the ASCII that JSON structure is made of.
    static func lineAndColumn(ofByte offset: Int, in data: Data) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, byte) in data.enumerated() {
            if index >= offset { break }
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}

/// `JSONValue` read through `Decodable`. Strings and containers are tried first (most
/// values of a config), booleans before numbers (a JSON number never decodes as Bool).
private struct DecodedJSON: Decodable {
    let value: JSONValue

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let object = try? container.decode([String: DecodedJSON].self) {
            value = .object(object.mapValues(\.value))
        } else if let array = try? container.decode([DecodedJSON].self) {
            value = .array(array.map(\.value))
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else {
            let number = try container.decode(Double.self)
            guard number.isFinite else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "not finite") }
            value = .number(number)
        }
    }
}
