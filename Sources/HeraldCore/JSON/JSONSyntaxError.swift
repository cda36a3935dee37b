/// Text that is not JSON, with the exact place of the offending byte.
///
/// The message starts with "invalid JSON: " and says what was expected there
/// ("expected ',' or '}' after an object member, found ']'"), so an operator can fix a
/// hand-edited config from the message alone.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable kinds of syntax error, for tests and metrics.
    public enum Code: String, Sendable {
        /// The text ends where more was required.
        case unexpectedEnd = "unexpected_end"
        /// A byte that cannot start or continue what the grammar expects there.
        case unexpectedCharacter = "unexpected_character"
        /// A comma just before `]` or `}` (Foundation accepts it; RFC 8259 does not).
        case trailingComma = "trailing_comma"
        /// An unterminated string or a raw control character in one.
        case invalidString = "invalid_string"
        /// An unknown escape, a bad `\u` escape or a lone surrogate.
        case invalidEscape = "invalid_escape"
        /// String bytes that are not UTF-8.
        case invalidUTF8 = "invalid_utf8"
        /// A number that breaks the grammar (leading zero, missing digits).
        case invalidNumber = "invalid_number"
        /// A number beyond the range of a 64-bit float.
        case numberOutOfRange = "number_out_of_range"
        /// Nesting deeper than `JSONParser.maxDepth`.
        case tooDeep = "too_deep"
        /// Something other than whitespace after the value.
        case trailingContent = "trailing_content"
    }

    public let code: Code
    public let message: String
    /// The offending byte: 1-based line, column in bytes from the line start.
    public let position: SourcePosition

    /// The offending byte's offset from the start of the data (tools and the fuzz
    /// harness; people read `position`).
    public let offset: Int

    public var line: Int { position.line }
    public var column: Int { position.column }

    init(code: Code, message: String, position: SourcePosition, offset: Int) {
        self.code = code
        self.message = message
        self.position = position
        self.offset = offset
    }

    /// `3:12: invalid JSON: …`.
    public var description: String { "\(position): \(message)" }
}
