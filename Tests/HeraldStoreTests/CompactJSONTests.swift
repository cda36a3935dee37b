import Foundation
import Testing
@testable import HeraldStore

/// The audit payload's stored form (issue #22): shorter, and the same bytes back.
struct CompactJSONTests {
    /// A seed-example notice as the audit log stored it before schema 7 (from a
    /// `Benchmarks/scripts/state_size.py` run): 970 bytes of JSON.
    static let seedNotice = #"{"episode":{"id":"utilisation-variance/p-1000/1@1796625693791","number":1},"event":{"id":"evt-1000","labels":{},"metric":"utilisation_variance","relations":{"primary_coordinator":"u-chloe"},"subject":{"id":"p-1000","name":"Participant 1000","type":"participant"},"value":12},"excluded":[{"id":"u-former","name":"Fred Former","path":"group:manager","reason":"inactive"}],"id":"utilisation-variance/p-1000/1@1796625693791/1-firing-t0","occurredAt":"2026-12-07T06:41:33.790Z","reason":"value","recipients":[{"id":"u-chloe","name":"Chloe Clarke","path":"relation:primary_coordinator"},{"id":"u-maya","name":"Maya Murphy","path":"group:manager"},{"id":"u-noah","name":"Noah Nguyen","path":"group:manager"},{"id":"u-rita","name":"Rita Rossi","path":"group:manager"}],"rule":{"id":"utilisation-variance","name":"Utilisation variance"},"subject":{"id":"p-1000","name":"Participant 1000","type":"participant"},"tier":{"index":0,"name":"10%","threshold":10},"transition":"firing"}"#

    /// Documents that must come back byte for byte, each compact. One per case:
    static let documents: [String] = [
        seedNotice,
        // empty containers, nesting, every token kind, numbers as JSONBytesWriter writes them
        #"{"a":{},"b":[],"c":[[],[{}]],"d":[true,false,null],"e":[-0,0.1,1e+20,1.2345678901234568e+17,-42]}"#,
        // escapes kept as written: quote, backslash, \u, a slash, and raw UTF-8
        #"{"q":"say \"hi\"","b":"C:\\dir\\","u":"caf\u00e9 \ud83d\ude00","s":"a\/b","r":"café 😀","t":"\\"}"#,
        // an empty string twice (a reference to it), a key that is not a word, an array at the top
        #"[{"":"","x":""},"",{"relation:primary_coordinator":1}]"#,
        // strings of 31, 32 and 200 bytes (short and long literals, a two-byte length)
        "{\"a\":\"\(String(repeating: "x", count: 31))\",\"b\":\"\(String(repeating: "y", count: 32))\",\"c\":\"\(String(repeating: "z", count: 200))\"}",
        // times: the notices' form (to milliseconds), a leap day, and texts that only look
        // like one (a day that does not exist, before 1970, other precision) kept as text
        #"{"a":"2026-12-07T06:41:33.790Z","b":"2024-02-29T23:59:59.999Z","c":"1970-01-01T00:00:00.000Z","d":"2026-02-30T00:00:00.000Z","e":"1969-12-31T23:59:59.999Z","f":"2026-12-07T06:41:33Z","g":"2026-12-07T06:41:33.790+00:00","h":"9999-12-31T23:59:59.999Z"}"#,
        // shared starts: a string that starts like an earlier one, one that is an earlier one's start
        #"{"a":"utilisation-variance/p-1/1@17","b":"utilisation-variance/p-1/1@17/1-firing-t0","c":"utilisation-variance","d":"utilisation-variance/p-2"}"#,
        // an operator record as `JSONSerialization` writes it (sorted keys, no slashes escaped)
        #"{"action":"silence","actor":"operator:ops","at":"2026-12-07T06:41:33.790Z","rule":{"id":"r/1"},"silence":{"id":"s-1"}}"#,
    ]

    /// The seed notice's id, the known string the SQLite store encodes its payload with.
    static let seedID = "utilisation-variance/p-1000/1@1796625693791/1-firing-t0"

    @Test(arguments: documents) func documentsComeBackExactlyAndShorter(_ json: String) throws {
        let stored = CompactJSON.encode(Data(json.utf8))
        #expect(CompactJSON.isCompact(stored))
        #expect(stored.count < json.utf8.count)
        #expect(CompactJSON.decode(stored) == Data(json.utf8))
        // The same with a known string, whether the document uses it or not.
        let withID = CompactJSON.encode(Data(json.utf8), known: Self.seedID)
        #expect(CompactJSON.isCompact(withID) && withID.first == CompactJSON.knownMark)
        #expect(CompactJSON.decode(withID, known: Self.seedID) == Data(json.utf8))
    }

    /// With its notification id known, the notice's id and episode id cost a few bytes;
    /// without the id, or with another one, it does not decode rather than decode wrong.
    @Test func aKnownIdMakesTheNoticeShorterAndIsNeededToReadIt() {
        let json = Data(Self.seedNotice.utf8)
        let withID = CompactJSON.encode(json, known: Self.seedID)
        #expect(withID.count + 50 < CompactJSON.encode(json).count, "\(withID.count) bytes with the id known")
        #expect(withID.count < 380)
        #expect(CompactJSON.decode(withID, known: Self.seedID) == json)
        #expect(CompactJSON.decode(withID) == nil)
        let other = "utilisation-variance/p-1001/1@1796625693791/1-firing-t0"
        #expect(CompactJSON.check(Array(other.utf8)) != CompactJSON.check(Array(Self.seedID.utf8)))
        #expect(CompactJSON.decode(withID, known: other) == nil)
        // An empty known string is no known string: a self-contained document.
        #expect(CompactJSON.encode(json, known: "") == CompactJSON.encode(json))
    }

    /// The measured gain on the seed example's notice: 970 bytes to under 45 % of that.
    @Test func seedNoticeIsLessThanHalfItsJSON() {
        let stored = CompactJSON.encode(Data(Self.seedNotice.utf8))
        #expect(Self.seedNotice.utf8.count == 970)
        #expect(stored.count < 435, "compact form is \(stored.count) bytes")
    }

    /// Many strings (past the tables' first sizes and one-byte references), as in a notice
    /// to many people: every reference and shared start still resolves.
    @Test func aLargeFanOutComesBackExactly() throws {
        let people = (0..<3_000).map { #"{"id":"u-\#($0)","name":"Person \#($0)","path":"group:g-\#($0 % 7)"}"# }
        let json = #"{"recipients":["# + people.joined(separator: ",") + "]}"
        let stored = CompactJSON.encode(Data(json.utf8))
        #expect(CompactJSON.isCompact(stored))
        #expect(CompactJSON.decode(stored) == Data(json.utf8))
    }

    /// What is not JSON without whitespace is stored as it is, and read back as it is.
    @Test(arguments: [
        Data(),                                       // empty
        Data("{\n  \"a\" : 1\n}".utf8),               // pretty-printed
        Data(String(repeating: "x", count: 2_000).utf8),   // not JSON
        Data(#"{"a":1}{"b":2}"#.utf8),                 // trailing bytes
        Data(#"{"a":1,}"#.utf8),                       // a trailing comma
        Data(#"{"a" 1}"#.utf8),                        // no colon
        Data(#""just a string""#.utf8),                // not an object or array
        Data((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8),   // deeper than maxDepth
    ]) func otherBytesAreKeptAsTheyAre(_ bytes: Data) {
        let stored = CompactJSON.encode(bytes)
        #expect(stored == bytes)
        #expect(CompactJSON.decode(stored) == bytes)
    }

    /// Bytes that start like a stored form themselves are escaped, so they read back too.
    @Test(arguments: [Data([0x01]), Data([0x01, 0x7B, 0x7D]), Data([0x02, 0x41]), Data([0x03, 0x00, 0x7B, 0x7D])])
    func bytesStartingWithAMarkAreEscaped(_ bytes: Data) {
        let stored = CompactJSON.encode(bytes)
        #expect(stored == Data([CompactJSON.verbatimMark]) + bytes)
        #expect(CompactJSON.decode(stored) == bytes)
    }

    /// A damaged compact document is refused, never half decoded: every cut of a valid one,
    /// and references to strings that do not exist.
    @Test func damagedDocumentsDoNotDecode() {
        let stored = CompactJSON.encode(Data(Self.seedNotice.utf8))
        for length in 1..<stored.count {
            #expect(CompactJSON.decode(stored.prefix(length)) == nil, "a cut at \(length) decoded")
        }
        #expect(CompactJSON.decode(Data([0x01, 0x7B, 0x8B, 0x02, 0x00, 0x7D])) == nil)          // reference 0 of none
        #expect(CompactJSON.decode(Data([0x01, 0x7B, 0x8B, 0x21, 0x61, 0x8F, 0x03, 0x00, 0x05, 0x00, 0x7D])) == nil)   // start longer than the string
        #expect(CompactJSON.decode(Data([0x01, 0x7B, 0xFF, 0x40, 0x7D])) == nil)               // word past the list, empty token
        #expect(CompactJSON.decode(Data([0x01, 0x5B, 0x5D, 0x5D])) == nil)                     // bytes after the document
    }

    /// The stored format is on disk: these bytes, written by hand from the format's
    /// description, must always read as this JSON (tags, word numbers, time, references).
    @Test func theStoredFormatIsPinned() {
        let stored = Data([0x01, 0x7B,
                           0x8B, 0x23, 0x61, 0x62, 0x63,                         // "id":"abc"
                           0x8F, 0x02, 0x00,                                    // "name": string 0
                           0x92, 0x04, 0xDE, 0xF8, 0xF1, 0xF9, 0xA4, 0x34,      // "occurredAt": a time
                           0x93, 0x03, 0x01, 0x04, 0x02, 0x2F, 0x78,            // "path": 4 bytes of string 1, then "/x"
                           0xA0, 0x5B, 0x41, 0x30, 0xA5, 0x00, 0x02, 0x31, 0x30, 0x5D,   // "transition":[0,"firing",10]
                           0x7D])
        let json = #"{"id":"abc","name":"abc","occurredAt":"2026-12-07T06:41:33.790Z","path":"2026/x","transition":[0,"firing",10]}"#
        #expect(CompactJSON.decode(stored) == Data(json.utf8))
        #expect(CompactJSON.words.count == 50 && CompactJSON.words[11] == "id" && CompactJSON.words[49] == "silence")
        // With the known string "abc/1" (check byte 0x87): string 0, and its first 3 bytes.
        let known = Data([0x03, 0x87, 0x7B,
                          0x85, 0x7B, 0x8B, 0x03, 0x00, 0x03, 0x00, 0x7D,          // "episode":{"id": 3 bytes of string 0}
                          0x8B, 0x02, 0x00,                                      // "id": string 0
                          0x7D])
        #expect(CompactJSON.decode(known, known: "abc/1") == Data(#"{"episode":{"id":"abc"},"id":"abc/1"}"#.utf8))
    }
}
