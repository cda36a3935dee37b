import Foundation
import Testing
@testable import HeraldCore

/// JSONParser on its own: the exact message, code and line:column of every kind of
/// syntax error, duplicate keys with their paths, the depth limit, and exact values.
struct JSONParserTests {
    static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONParser.parse(Data(text.utf8)).value }

    /// The refusal as `line:column: message`, or "accepted".
    static func refusal(_ bytes: [UInt8]) -> (String, JSONSyntaxError.Code?) {
        do {
            _ = try JSONParser.parse(Data(bytes))
            return ("accepted", nil)
        } catch {
            return (error.description, error.code)
        }
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let text: [UInt8]
        let expected: String
        let code: JSONSyntaxError.Code
        var testDescription: String { expected }

        init(_ text: String, _ expected: String, _ code: JSONSyntaxError.Code) {
            self.init(bytes: Array(text.utf8), expected, code)
        }

        init(bytes: [UInt8], _ expected: String, _ code: JSONSyntaxError.Code) {
            self.text = bytes
            self.expected = expected
            self.code = code
        }
    }

    static let refusals: [Refusal] = [
        Refusal(#"{"a": 1 "b": 2}"#, #"1:9: invalid JSON: expected ',' or '}' after an object member, found '"'"#, .unexpectedCharacter),
        Refusal("[1 2]", "1:4: invalid JSON: expected ',' or ']' after an array element, found '2'", .unexpectedCharacter),
        Refusal("[1", "1:3: invalid JSON: unexpected end of input, expected ',' or ']' after an array element", .unexpectedEnd),
        Refusal(#"{"a": 1"#, "1:8: invalid JSON: unexpected end of input, expected ',' or '}' after an object member", .unexpectedEnd),
        Refusal(#"{"a" 1}"#, "1:6: invalid JSON: expected ':' after an object key", .unexpectedCharacter),
        Refusal("{1: 2}", "1:2: invalid JSON: expected a string key, found '1'", .unexpectedCharacter),
        Refusal("[1,]", "1:3: invalid JSON: trailing comma before ']'", .trailingComma),
        Refusal(#"{"a": 1 , }"#, "1:9: invalid JSON: trailing comma before '}'", .trailingComma),
        Refusal(#"["abc"#, "1:2: invalid JSON: unterminated string", .invalidString),
        Refusal(#""a\x""#, #"1:3: invalid JSON: invalid escape '\x'"#, .invalidEscape),
        Refusal(#""\U0041""#, #"1:2: invalid JSON: invalid escape '\U'"#, .invalidEscape),
        Refusal(#""\u12G4""#, #"1:2: invalid JSON: invalid \u escape: expected 4 hex digits"#, .invalidEscape),
        Refusal(#""\uD83D""#, #"1:2: invalid JSON: lone surrogate \uD83D in string: a high surrogate must be followed by a \uDC00–\uDFFF escape"#, .invalidEscape),
        Refusal(#""\uDE00""#, #"1:2: invalid JSON: lone surrogate \uDE00 in string: a low surrogate without a high one before it"#, .invalidEscape),
        Refusal(#""x\uD83D\u0041""#, #"1:3: invalid JSON: lone surrogate \uD83D in string: followed by \u0041, not a low surrogate"#, .invalidEscape),
        Refusal("[\n\"a\tb\"]", #"2:3: invalid JSON: control character U+0009 in string; write it as an escape like \n or \u0009"#, .invalidString),
        Refusal("\"a\nb\"", #"1:3: invalid JSON: control character U+000A in string; write it as an escape like \n or \u000A"#, .invalidString),
        Refusal(bytes: Array(#"["ok", ""#.utf8) + [0xFF, 0x22, 0x5D], "1:9: invalid JSON: invalid UTF-8 in string (bytes FF)", .invalidUTF8),
        Refusal(bytes: [0x22, 0x61, 0xED, 0xA0, 0x80, 0x22], "1:3: invalid JSON: invalid UTF-8 in string (bytes ED)", .invalidUTF8),
        Refusal(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x22], "1:4: invalid JSON: invalid UTF-8 in string (bytes C3)", .invalidUTF8),
        Refusal("01", "1:1: invalid JSON: leading zero in number", .invalidNumber),
        Refusal("[-01]", "1:3: invalid JSON: leading zero in number", .invalidNumber),
        Refusal("-", "1:2: invalid JSON: expected a digit after '-'", .unexpectedEnd),
        Refusal("-x", "1:2: invalid JSON: expected a digit after '-'", .invalidNumber),
        Refusal("1.", "1:3: invalid JSON: expected a digit after the decimal point", .unexpectedEnd),
        Refusal("[1.e5]", "1:4: invalid JSON: expected a digit after the decimal point", .invalidNumber),
        Refusal("1e+", "1:4: invalid JSON: expected a digit after the exponent", .unexpectedEnd),
        Refusal("[.5]", "1:2: invalid JSON: expected a value, found '.'", .unexpectedCharacter),
        Refusal("+1", "1:1: invalid JSON: expected a value, found '+'", .unexpectedCharacter),
        Refusal("[1e999]", "1:2: invalid JSON: number 1e999 is out of range for a 64-bit float", .numberOutOfRange),
        Refusal("-1.8e308", "1:1: invalid JSON: number -1.8e308 is out of range for a 64-bit float", .numberOutOfRange),
        Refusal("NaN", "1:1: invalid JSON: expected a value, found 'N'", .unexpectedCharacter),
        Refusal("[Infinity]", "1:2: invalid JSON: expected a value, found 'I'", .unexpectedCharacter),
        Refusal(#"{"a": tru}"#, "1:7: invalid JSON: invalid literal, expected 'true'", .unexpectedCharacter),
        Refusal("nul", "1:1: invalid JSON: invalid literal, expected 'null'", .unexpectedCharacter),
        Refusal("[] x", "1:4: invalid JSON: unexpected 'x' after the JSON value", .trailingContent),
        Refusal("1 2", "1:3: invalid JSON: unexpected '2' after the JSON value", .trailingContent),
        Refusal("", "1:1: invalid JSON: unexpected end of input, expected a value", .unexpectedEnd),
        Refusal(" \n ", "2:2: invalid JSON: unexpected end of input, expected a value", .unexpectedEnd),
        Refusal("// note\n1", "1:1: invalid JSON: comments are not allowed in JSON", .unexpectedCharacter),
        Refusal("\u{0C}1", "1:1: invalid JSON: expected a value, found byte 0x0C", .unexpectedCharacter),
        Refusal("\u{FEFF}[1,]", "1:3: invalid JSON: trailing comma before ']'", .trailingComma),
        Refusal("{\n  \"users\": [\n    {\"id\": }\n  ]\n}", "3:12: invalid JSON: expected a value, found '}'", .unexpectedCharacter),
        Refusal(bytes: [0x00, 0x5B, 0x00, 0x5D], "1:1: invalid JSON: expected a value, found byte 0x00", .unexpectedCharacter),
        Refusal(String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
                "1:513: invalid JSON: nesting deeper than 512 arrays and objects", .tooDeep),
    ]

    @Test(arguments: refusals)
    func refusesWithPreciseMessageAndPlace(_ refusal: Refusal) {
        let (found, code) = Self.refusal(refusal.text)
        #expect(found == refusal.expected)
        #expect(code == refusal.code)
    }

    @Test func duplicateKeysAreCollectedWithPathAndPlaceAndTheLastValueWins() throws {
        let text = "{\"a\": 1, \"b\": {\"c\": [{\"d\": 1,\n \"d\": 2}]}, \"a\": 3, \"e\": [[{\"f\": 0, \"f\": 0}]]}"
        let document = try JSONParser.parse(Data(text.utf8))
        #expect(document.duplicateKeys.map { "\($0.position) \($0.path)" } == ["2:2 b.c[0].d", "2:13 a", "2:37 e[0][0].f"])
        guard case .object(let members) = document.value else { Issue.record("not an object"); return }
        #expect(members["a"] == .number(3))
        #expect(members["b"] == .object(["c": .array([.object(["d": .number(2)])])]))
    }

    @Test func positionsAreRecordedOnlyWhenAskedWhereEachValueOrKeyStarts() throws {
        let text = "{\"a\": 1,\n  \"b\": [true,\n    {\"c\": null}, \"x\"],\n  \"t\\u00e9\": \"\",\n  \"a\": 2\n}"
        #expect(try JSONParser.parse(Data(text.utf8)).positions == nil)
        let positions = try #require(try JSONParser.parse(Data(text.utf8), recordingPositions: true).positions)
        let shown = positions.starts.map { "\($0.key) \($0.value)" }.sorted()
        // The later of two equal keys wins, as its value does; escaped keys are decoded.
        #expect(shown == ["(root) 1:1", "a 5:3", "b 2:3", "b[0] 2:9", "b[1] 3:5", "b[1].c 3:6", "b[2] 3:18", "té 4:3"].sorted())
        #expect(positions.position(of: JSONPath([.key("a")])) == SourcePosition(line: 5, column: 3))
        #expect(positions.position(of: JSONPath([.key("té")])) == SourcePosition(line: 4, column: 3))
        #expect(positions.position(of: JSONPath([.key("b"), .index(1), .key("c")])) == SourcePosition(line: 3, column: 6))
        // A path that is not in the document is placed at its nearest ancestor.
        #expect(positions.position(of: JSONPath([.key("b"), .index(1), .key("missing"), .index(3)])) == SourcePosition(line: 3, column: 5))
        // Columns count from after a byte-order mark, as in syntax errors.
        let marked = try #require(try JSONParser.parse(Data([0xEF, 0xBB, 0xBF] + Array(#" {"k": 1}"#.utf8)), recordingPositions: true).positions)
        #expect(marked.position(of: JSONPath([.key("k")])) == SourcePosition(line: 1, column: 3))
        #expect(marked.position(of: .root) == SourcePosition(line: 1, column: 2))
    }

    @Test func noDuplicatesInADocumentWithout() throws {
        #expect(try JSONParser.parse(Data(#"{"a": {"a": [{"a": 1}, {"a": 2}]}}"#.utf8)).duplicateKeys.isEmpty)
    }

    @Test func nestingUpToTheLimitIsAcceptedAndHostileNestingRefusedWithoutCrashing() throws {
        let deepest = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try Self.parse(deepest) }
        let objects = String(repeating: #"{"a":"#, count: JSONParser.maxDepth) + "1" + String(repeating: "}", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try Self.parse(objects) }
        let tooDeepObjects = #"{"a":"# + objects + "}"
        #expect(Self.refusal(Array(tooDeepObjects.utf8)).1 == .tooDeep)
        let hostile = String(repeating: "[", count: 100_000)
        #expect(Self.refusal(Array(hostile.utf8)).0 == "1:513: invalid JSON: nesting deeper than 512 arrays and objects")
    }

    @Test func scalarsAtTopLevelAndSurroundingWhitespace() throws {
        #expect(try Self.parse(" \t\r\n 42 \n") == .number(42))
        #expect(try Self.parse(#""s""#) == .string("s"))
        #expect(try Self.parse("null") == .null)
        #expect(try Self.parse("true") == .bool(true))
        #expect(try Self.parse("\u{FEFF}false") == .bool(false))
        #expect(try Self.parse("[]") == .array([]))
        #expect(try Self.parse("{}") == .object([:]))
    }

    @Test func everyEscapeDecodes() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try Self.parse(#""\u0000\u00e9\u20AC\uD83D\uDE00\udbff\udfff""#) == .string("\u{0}é€😀\u{10FFFF}"))
        #expect(try Self.parse("\"é€😀 \u{7F}\"") == .string("é€😀 \u{7F}"))
        #expect(try Self.parse(#""plain ascii""#) == .string("plain ascii"))
        #expect(try Self.parse(#""€ then \n""#) == .string("€ then \n"))
    }

    /// The exact Double, bit for bit: correctly rounded like Foundation.
    @Test func numbersAreCorrectlyRounded() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", -0.0), ("0.1", 0.1), ("1E+2", 100), ("1e-2", 0.01), ("-12.5", -12.5),
            ("123456789012345", 123456789012345), ("1234567890123456", 1234567890123456),
            ("9007199254740993", 9007199254740992), ("123456789012345678901", 123456789012345678901.0),
            ("1e308", 1e308), ("1.7976931348623157e308", .greatestFiniteMagnitude), ("5e-324", .leastNonzeroMagnitude),
            ("2e-324", 0), ("1e-400", 0), ("-1e-400", -0.0), ("2.2250738585072014e-308", .leastNormalMagnitude),
            ("0.30000000000000004441", 0.30000000000000004), ("0.1e1", 1),
        ]
        for (text, expected) in cases {
            guard case .number(let value) = try Self.parse(text) else { Issue.record("\(text) is not a number"); continue }
            #expect(value.bitPattern == expected.bitPattern, "\(text) → \(value), expected \(expected)")
        }
    }

    @Test func errorsInEventsAndConfigsCarryThePlace() {
        do {
            _ = try EventDecoder().decode(Data(#"{"metric": "m", "value": 01}"#.utf8))
            Issue.record("accepted a leading zero")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.problems.map(\.message) == ["1:26: invalid JSON: leading zero in number"])
        }
        do {
            _ = try ConfigLoader.load(Data("{\"users\": [\n  {\"id\": \"o\", \"owner\": true},\n]}".utf8))
            Issue.record("accepted a trailing comma")
        } catch {
            #expect(error.issues.map(\.description) == ["2:29: invalid JSON: trailing comma before ']'"])
        }
    }
}
