import Foundation
import Testing
@testable import HeraldCore

/// JSONParser held to Foundation's `JSONSerialization` (through `JSONReference`, the code
/// the `json` fuzz target runs): a table of edge cases, seeded random valid documents,
/// and seeded byte mutations of them. Where Herald deliberately refuses what Foundation
/// accepts, the table says so case by case (see `JSONReference` for the list).
struct JSONParserDifferentialTests {
    enum Expectation: Sendable {
        /// Both accept with this value, or both refuse (nil).
        case same(JSONValue?)
        /// Foundation accepts, Herald refuses with this code: a deliberate difference.
        case heraldRefuses(JSONSyntaxError.Code)
        /// Both accept; Herald keeps a U+FEFF that Foundation drops: a deliberate difference.
        case foundationDropsFEFF(JSONValue)
    }

    struct Edge: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let expectation: Expectation
        var testDescription: String { name }

        init(_ text: String, _ expectation: Expectation) {
            self.init(text.debugDescription, Array(text.utf8), expectation)
        }

        init(_ name: String, _ bytes: [UInt8], _ expectation: Expectation) {
            self.name = name
            self.bytes = bytes
            self.expectation = expectation
        }
    }

    static let depth512 = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
    static let depth513 = "[" + depth512 + "]"

    static let edges: [Edge] = [
        // Escapes and surrogates.
        Edge(#""\"\\\/\b\f\n\r\t""#, .same(.string("\"\\/\u{08}\u{0C}\n\r\t"))),
        Edge(#""\u00e9\u20AC""#, .same(.string("é€"))),
        Edge(#""\uD83D\uDE00""#, .same(.string("😀"))),
        Edge(#""\ud83d\ude00""#, .same(.string("😀"))),
        Edge(#""\uDBFF\uDFFF""#, .same(.string("\u{10FFFF}"))),
        Edge(#""\u0000""#, .same(.string("\u{0}"))),
        Edge("\"raw \u{7F} é 😀\"", .same(.string("raw \u{7F} é 😀"))),
        Edge(#""\uD83D""#, .same(nil)),
        Edge(#""\uDE00""#, .same(nil)),
        Edge(#""\uD83Dx""#, .same(nil)),
        Edge(#""\uD83D\u0041""#, .same(nil)),
        Edge(#""\uD800\uD800""#, .same(nil)),
        Edge(#""\x""#, .same(nil)),
        Edge(#""\U0041""#, .same(nil)),
        Edge(#""\u12""#, .same(nil)),
        Edge("\"a\tb\"", .same(nil)),
        Edge("invalid UTF-8 FF", [0x22, 0xFF, 0x22], .same(nil)),
        Edge("overlong NUL", [0x22, 0xC0, 0x80, 0x22], .same(nil)),
        Edge("UTF-8-encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], .same(nil)),
        Edge("truncated sequence", [0x22, 0xE2, 0x82, 0x22], .same(nil)),
        Edge("raw NUL in string", [0x22, 0x00, 0x22], .same(nil)),
        // Numbers.
        Edge("-0", .same(.number(0))),
        Edge("1e308", .same(.number(1e308))),
        Edge("1e309", .same(nil)),
        Edge("-1e309", .same(nil)),
        Edge("0.1", .same(.number(0.1))),
        Edge("1E+2", .same(.number(100))),
        Edge("123456789012345678901", .same(.number(123456789012345678901.0))),
        Edge("9223372036854775808", .same(.number(9223372036854775808.0))),
        Edge("5e-324", .same(.number(.leastNonzeroMagnitude))),
        Edge("2e-324", .same(.number(0))),
        Edge("0e0", .same(.number(0))),
        Edge("1.7976931348623157e308", .same(.number(.greatestFiniteMagnitude))),
        Edge("01", .same(nil)),
        Edge("-01", .same(nil)),
        Edge("00", .same(nil)),
        Edge("1.", .same(nil)),
        Edge(".5", .same(nil)),
        Edge("+1", .same(nil)),
        Edge("1e", .same(nil)),
        Edge("-", .same(nil)),
        Edge("NaN", .same(nil)),
        Edge("Infinity", .same(nil)),
        Edge("-Infinity", .same(nil)),
        // Whitespace, BOM, fragments, trailing content.
        Edge(" \t\n\r1 \t\n\r", .same(.number(1))),
        Edge("\u{0C}1", .same(nil)),
        Edge("\u{A0}1", .same(nil)),
        Edge("\u{FEFF}{}", .same(.object([:]))),
        Edge("\u{FEFF}\u{FEFF}1", .same(nil)),
        Edge(#""s""#, .same(.string("s"))),
        Edge("null", .same(.null)),
        Edge("true", .same(.bool(true))),
        Edge("tru", .same(nil)),
        Edge("", .same(nil)),
        Edge(" ", .same(nil)),
        Edge("[]x", .same(nil)),
        Edge("1 2", .same(nil)),
        Edge("/*c*/1", .same(nil)),
        // Structure.
        Edge(#"{"a":1,"a":2}"#, .same(.object(["a": .number(2)]))),
        Edge("[,]", .same(nil)),
        Edge("[1,,2]", .same(nil)),
        Edge("{,}", .same(nil)),
        Edge(#"{"a":1,,}"#, .same(nil)),
        Edge("[1 2]", .same(nil)),
        Edge(#"{"a" 1}"#, .same(nil)),
        Edge(#"{"a":}"#, .same(nil)),
        Edge("[1e999]", .same(nil)),
        Edge("depth 512", Array(depth512.utf8), .same(nestedArrays(512))),
        Edge("depth 513", Array(depth513.utf8), .same(nil)),
        // Deliberate differences: Foundation accepts, RFC 8259 and Herald do not.
        Edge("[1,]", .heraldRefuses(.trailingComma)),
        Edge(#"{"a":1,}"#, .heraldRefuses(.trailingComma)),
        Edge(#"[{"a":[1,],},]"#, .heraldRefuses(.trailingComma)),
        Edge("UTF-16LE [1]", Array("[1]".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), .heraldRefuses(.unexpectedCharacter)),
        Edge("UTF-16BE with BOM", [0xFE, 0xFF] + Array("[1]".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }), .heraldRefuses(.unexpectedCharacter)),
        Edge("1 NUL (UTF-16LE to Foundation)", [0x31, 0x00], .heraldRefuses(.trailingContent)),
        Edge("[\"\u{FEFF}b\"]", .foundationDropsFEFF(.array([.string("\u{FEFF}b")]))),
        Edge(#"["\n"# + "\u{FEFF}\"]", .foundationDropsFEFF(.array([.string("\n\u{FEFF}")]))),
        Edge(#"{"\t"# + "\u{FEFF}\": 1}", .foundationDropsFEFF(.object(["\t\u{FEFF}": .number(1)]))),
        Edge("[\"a\u{FEFF}b\"]", .same(.array([.string("a\u{FEFF}b")]))),
        Edge(#"["\uFEFF"]"#, .same(.array([.string("\u{FEFF}")]))),
    ]

    static func nestedArrays(_ depth: Int) -> JSONValue {
        (1..<depth).reduce(JSONValue.array([])) { inner, _ in .array([inner]) }
    }

    @Test(arguments: edges)
    func edgeCaseAgreesWithFoundationOrDiffersDeliberately(_ edge: Edge) {
        let data = Data(edge.bytes)
        let theirs = JSONReference.foundation(data)
        let ours = Result { () throws(JSONSyntaxError) in try JSONParser.parse(data).value }
        switch edge.expectation {
        case .same(let value?):
            #expect((try? ours.get()) == value)
            #expect(theirs.map { JSONReference.matches(value, $0) } == true, "Foundation read \(String(describing: theirs))")
        case .same(nil):
            #expect((try? ours.get()) == nil)
            #expect(theirs == nil, "Foundation accepted it as \(String(describing: theirs))")
        case .foundationDropsFEFF(let value):
            #expect((try? ours.get()) == value)
            let read = theirs.map(JSONReference.value)
            #expect(read != nil && read != value, "Foundation now keeps U+FEFF: no longer a difference")
            #expect(theirs.map { JSONReference.matches(value, $0) } == true)
        case .heraldRefuses(let code):
            #expect(theirs != nil, "Foundation refuses it too: no longer a difference")
            if case .failure(let error) = ours { #expect(error.code == code) } else { Issue.record("Herald accepted it") }
        }
        #expect(JSONReference.disagreement(on: data) == nil, "the fuzz harness would report this case")
    }

    /// Numbers Foundation reads through NSDecimalNumber: Herald's are correctly rounded
    /// (equal to Swift's own conversion), Foundation's within the tolerance the harness
    /// allows, and for one of them provably not correctly rounded.
    @Test func beyondSixtyFourBitsHeraldRoundsCorrectlyAndFoundationNearly() throws {
        let texts = ["123456789012345678901", "0.30000000000000004441", "99999999999999999999999999999999999999999999",
                     "-123456789012345678901234567890e-20", "0.000000000000000000000000000001"]
        for text in texts {
            let ours = try JSONParser.parse(Data(text.utf8)).value
            #expect(ours == .number(Double(text)!), "\(text)")
            let theirs = try #require(JSONReference.foundation(Data(text.utf8)) as? NSDecimalNumber, "\(text)")
            #expect(JSONReference.matches(ours, theirs), "\(text): Foundation \(theirs.doubleValue)")
        }
        let foundation = try #require(JSONReference.foundation(Data("0.30000000000000004441".utf8)) as? NSNumber)
        #expect(foundation.doubleValue != 0.30000000000000004, "Foundation now rounds correctly: tighten decimalTolerance")
    }

    /// How many random documents and mutants; together they run in about a second in debug.
    static let randomDocuments = 3000
    static let mutants = 4000

    @Test func randomValidDocumentsReadTheSameAsFoundationAndAsGenerated() {
        var generator = RandomJSON(seed: 0x6A73_6F6E)
        var failures: [String] = []
        for _ in 0..<Self.randomDocuments {
            let (text, value) = generator.document()
            let data = Data(text.utf8)
            let ours = try? JSONParser.parse(data)
            if ours?.value != value || ours?.duplicateKeys.isEmpty != true { failures.append("Herald read \(String(describing: ours?.value)) from \(text)") }
            if let problem = JSONReference.disagreement(on: data) { failures.append("\(problem) on \(text)") }
            if JSONReference.foundation(data) == nil { failures.append("Foundation refused \(text)") }
        }
        #expect(failures.prefix(5).isEmpty, "\(failures.count) failures")
    }

    @Test func mutatedDocumentsAreAcceptedOrRefusedAsByFoundation() {
        var generator = RandomJSON(seed: 0x6D75_7461)
        var failures: [String] = []
        var accepted = 0
        var refused = 0
        for _ in 0..<Self.mutants {
            let bytes = generator.mutate(Array(generator.document(maxDepth: 3).text.utf8))
            let data = Data(bytes)
            if let problem = JSONReference.disagreement(on: data) {
                failures.append("\(problem) on \(bytes.map { String($0, radix: 16) }.joined(separator: " "))")
            }
            if (try? JSONParser.parse(data)) == nil { refused += 1 } else { accepted += 1 }
        }
        #expect(failures.prefix(5).isEmpty, "\(failures.count) failures")
        // Both outcomes must be well represented, or the test checks little.
        #expect(accepted > Self.mutants / 10 && refused > Self.mutants / 10, "accepted \(accepted), refused \(refused)")
    }
}
