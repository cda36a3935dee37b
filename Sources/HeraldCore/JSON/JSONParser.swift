public import Foundation

/// Herald's own JSON reader: one pass over the UTF-8 bytes straight into `JSONValue`,
/// collecting duplicate object keys on the way.
///
/// Why not Foundation: `JSONSerialization` builds an `NSObject` tree that then has to be
/// converted, knows no positions, and silently keeps the last of two equal keys, so every
/// document used to be read three times (parse, convert, duplicate-key scan) — 12 µs for
/// one 229-byte event, 0.85 s for a 100,000-user config (Benchmarks/limits.md). This
/// parser does all three at once. It is strict RFC 8259 (no comments, no trailing commas,
/// no leading zeros, no NaN/Infinity, no raw control characters, valid UTF-8 only, lone
/// surrogates refused), accepts a top-level scalar and a leading UTF-8 byte-order mark,
/// and names the line:column of the offending byte in every error. Asked to, it also
/// records where every value starts (`Positions`, for the line:column of config errors)
/// in the same pass. The differential tests (JSONParserDifferentialTests) and the `json`
/// fuzz target hold it to Foundation; the few places where it deliberately refuses what
/// Foundation accepts are listed there.
public enum JSONParser {
    /// Deepest nesting of arrays and objects accepted. The parser recurses once per level,
    /// so hostile input like 100,000 `[` would otherwise overflow the stack (a Dispatch
    /// worker has 512 KiB); 512 levels take well under 100 KiB. It is also exactly
    /// Foundation's limit, so both refuse the same documents; no config or event needs
    /// more than a handful of levels.
    public static let maxDepth = 512

    /// A parsed document and the keys that appeared twice in one object.
    public struct Document: Sendable {
        /// The value; of two equal keys the last one is kept, as Foundation does.
        public let value: JSONValue
        /// Each repeated key with the path of the member and where the repeat starts.
        public let duplicateKeys: [(path: JSONPath, position: SourcePosition)]
        /// Where each value starts; nil unless the parse was asked to record them.
        public let positions: Positions?
    }

    /// Parses UTF-8 JSON text (a leading byte-order mark is skipped). With
    /// `recordingPositions`, `Document.positions` holds where every value starts.
    public static func parse(_ data: Data, recordingPositions: Bool = false) throws(JSONSyntaxError) -> Document {
        // Two specialisations of one reader: without positions (events, valid configs)
        // the recording compiles away, so the hot path pays nothing for it.
        try recordingPositions ? parse(data, recording: Positions()) : parse(data, recording: IgnoredPositions())
    }

    static func parse<Recorder: PositionRecorder>(_ data: Data, recording recorder: Recorder) throws(JSONSyntaxError) -> Document {
        let result = data.withUnsafeBytes { raw -> Result<Document, JSONSyntaxError> in
            var reader = JSONByteReader(raw.bindMemory(to: UInt8.self), recorder: recorder)
            do throws(JSONSyntaxError) {
                let value = try reader.parseDocument()
                return .success(Document(value: value, duplicateKeys: reader.duplicatesInDocumentOrder,
                                         positions: reader.recorder.recorded))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// The parser's state over one buffer. Lives only inside `Data.withUnsafeBytes`.
struct JSONByteReader<Recorder: PositionRecorder> {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Where the text starts (after a byte-order mark); columns count from here.
    let start: Int
    var index: Int
    /// Line of `index` and the offset its line starts at, kept up to date by
    /// `skipWhitespace` (the only place a newline may appear outside an error).
    var line = 1
    var lineStart: Int
    var depth = 0
    /// Keys and indices of the containers being read, so a duplicate's path can be built
    /// when (and only when) one is found. Scalars are never pushed.
    var path: [JSONPath.Component] = []
    var duplicates: [(path: JSONPath, position: SourcePosition)] = []
    /// Members and elements of the open containers, innermost last. A container's own
    /// are moved out in one go when it closes, so its dictionary or array is allocated
    /// once at its final size instead of growing (a third of an event's parse time).
    var memberStack: [(key: String, value: JSONValue, position: SourcePosition)] = []
    var elementStack: [JSONValue] = []
    /// Where each value starts, when recorded (JSONParser+Positions.swift).
    var recorder: Recorder

    init(_ bytes: UnsafeBufferPointer<UInt8>, recorder: Recorder) {
        self.bytes = bytes
        self.recorder = recorder
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        start = bytes.count >= 3 && bytes.prefix(3).elementsEqual(bom) ? 3 : 0
        index = start
        lineStart = start
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if Recorder.isRecording { skipWhitespace(); recordPosition(of: nil, at: nil) }
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw failure(.trailingContent, "unexpected \(describeByte(at: index)) after the JSON value")
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case ASCII.space, ASCII.tab, ASCII.carriageReturn:
                index += 1
            case ASCII.newline:
                index += 1
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw failure(.unexpectedEnd, "unexpected end of input, expected a value") }
        switch bytes[index] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case ASCII.minus, ASCII.zero...ASCII.nine: return .number(try parseNumber())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "/"): throw failure(.unexpectedCharacter, "comments are not allowed in JSON")
        default: throw failure(.unexpectedCharacter, "expected a value, found \(describeByte(at: index))")
        }
    }

    mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        skipWhitespace()
        if index < bytes.count, bytes[index] == ASCII.closeBrace {
            index += 1
            depth -= 1
            return .object([:])
        }
        let base = memberStack.count
        while true {
            guard index < bytes.count else { throw failure(.unexpectedEnd, "unexpected end of input, expected a string key") }
            guard bytes[index] == ASCII.quote else {
                throw failure(.unexpectedCharacter, "expected a string key, found \(describeByte(at: index))")
            }
            let keyPosition = SourcePosition(line: line, column: index - lineStart + 1)
            let key = try parseString()
            if Recorder.isRecording { recordPosition(of: .key(key), at: keyPosition) }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == ASCII.colon else {
                throw failure(index < bytes.count ? .unexpectedCharacter : .unexpectedEnd, "expected ':' after an object key")
            }
            index += 1
            memberStack.append((key, try parseMember(.key(key)), keyPosition))
            if try endOfMember(closer: ASCII.closeBrace, "an object member") { return .object(closeObject(from: base)) }
        }
    }

    mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        skipWhitespace()
        if index < bytes.count, bytes[index] == ASCII.closeBracket {
            index += 1
            depth -= 1
            return .array([])
        }
        let base = elementStack.count
        while true {
            if Recorder.isRecording { skipWhitespace(); recordPosition(of: .index(elementStack.count - base), at: nil) }
            elementStack.append(try parseMember(.index(elementStack.count - base)))
            if try endOfMember(closer: ASCII.closeBracket, "an array element") {
                let elements = Array(elementStack[base...])
                elementStack.removeLast(elementStack.count - base)
                return .array(elements)
            }
        }
    }

    /// After an object member or array element: a comma means another follows (false;
    /// a comma right before the closer is refused as a trailing comma); the closer ends
    /// the container (true). `what` names the member kind in messages.
    mutating func endOfMember(closer: UInt8, _ what: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        let expected = closer == ASCII.closeBrace ? "',' or '}'" : "',' or ']'"
        guard index < bytes.count else {
            throw failure(.unexpectedEnd, "unexpected end of input, expected \(expected) after \(what)")
        }
        switch bytes[index] {
        case ASCII.comma:
            let comma = index
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == closer {
                throw failure(.trailingComma, "trailing comma before '\(Character(Unicode.Scalar(closer)))'", at: comma)
            }
            return false
        case closer:
            index += 1
            depth -= 1
            return true
        default:
            throw failure(.unexpectedCharacter, "expected \(expected) after \(what), found \(describeByte(at: index))")
        }
    }

    /// The object whose members start at `base` of the member stack. Of two equal keys
    /// the last wins, as in Foundation; the repeat is recorded with its path (`path`
    /// is still the object's own here).
    mutating func closeObject(from base: Int) -> [String: JSONValue] {
        var members = [String: JSONValue](minimumCapacity: memberStack.count - base)
        for member in memberStack[base...] where members.updateValue(member.value, forKey: member.key) != nil {
            duplicates.append((JSONPath(path + [.key(member.key)]), member.position))
        }
        memberStack.removeLast(memberStack.count - base)
        return members
    }

    /// Duplicates are found as their objects close, innermost first; people read them
    /// in the order they appear.
    var duplicatesInDocumentOrder: [(path: JSONPath, position: SourcePosition)] {
        guard duplicates.count > 1 else { return duplicates }
        return duplicates.sorted { ($0.position.line, $0.position.column) < ($1.position.line, $1.position.column) }
    }

    /// A member or element value; its path component is pushed only for containers,
    /// the only values inside which a duplicate key can be found.
    @inline(__always)
    mutating func parseMember(_ component: JSONPath.Component) throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == ASCII.openBrace || bytes[index] == ASCII.openBracket else {
            return try parseValue()
        }
        path.append(component)
        let value = try parseValue()
        path.removeLast()
        return value
    }

    /// Steps over an opening bracket, refusing nesting beyond `JSONParser.maxDepth`.
    mutating func enterContainer() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONParser.maxDepth {
            throw failure(.tooDeep, "nesting deeper than \(JSONParser.maxDepth) arrays and objects")
        }
        index += 1
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        guard index + count <= bytes.count, bytes[index..<index + count].elementsEqual(expected) else {
            throw failure(.unexpectedCharacter, "invalid literal, expected '\(word)'")
        }
        index += count
    }

    /// An error at `offset` (default: the current byte). The line and column are counted
    /// afresh from the start: errors are rare, and this stays right even when the fault
    /// is a raw newline inside a string.
    func failure(_ code: JSONSyntaxError.Code, _ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = offset ?? index
        var line = 1
        var column = 1
        var position = start
        while position < min(offset, bytes.count) {
            if bytes[position] == ASCII.newline { line += 1; column = 1 } else { column += 1 }
            position += 1
        }
        return JSONSyntaxError(code: code, message: "invalid JSON: " + message, position: SourcePosition(line: line, column: column),
                               offset: min(offset, bytes.count))
    }

    /// `'x'` for printable ASCII, `byte 0xC3` otherwise (a message must stay readable
    /// whatever the input was).
    func describeByte(at offset: Int) -> String {
        let byte = bytes[offset]
        if byte > 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }
}

/// The ASCII bytes of JSON's grammar, named.
public enum ASCII {
    public static let space = UInt8(ascii: " ")
    public static let tab = UInt8(ascii: "\t")
    public static let newline = UInt8(ascii: "\n")
    public static let carriageReturn = UInt8(ascii: "\r")
    public static let openBrace = UInt8(ascii: "{")
    public static let closeBrace = UInt8(ascii: "}")
    public static let openBracket = UInt8(ascii: "[")
    public static let closeBracket = UInt8(ascii: "]")
    public static let quote = UInt8(ascii: "\"")
    public static let backslash = UInt8(ascii: "\\")
    public static let colon = UInt8(ascii: ":")
    public static let comma = UInt8(ascii: ",")
    public static let minus = UInt8(ascii: "-")
    public static let plus = UInt8(ascii: "+")
    public static let dot = UInt8(ascii: ".")
    public static let zero = UInt8(ascii: "0")
    public static let nine = UInt8(ascii: "9")
}

extension String {
    /// Pads with leading zeros (hex bytes and code units in messages).
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
