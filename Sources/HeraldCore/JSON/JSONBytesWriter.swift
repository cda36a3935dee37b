public import Foundation

/// Writes JSON bytes exactly as `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`
/// would, for the few documents written on the hot path (webhook bodies, audit payloads,
/// rule states).
///
/// Why not `JSONEncoder` itself: on Linux its `Codable` machinery (boxing every value,
/// a keyed container per object, sorting keys per object) cost ≈ 27 µs per webhook body
/// and ≈ 70 µs per audit payload, all on the single evaluation queue, which capped a
/// burst of firing events at ≈ 3,000 notifications/s (BENCHMARKS.md). The callers write
/// members in sorted order themselves; in debug builds every object checks that its keys
/// arrive in strictly increasing order, and differential tests compare the bytes with
/// `JSONEncoder`'s for generated documents (`JSONBytesWriterTests`).
///
/// Commas are placed by looking at the last byte: right after `{` or `[` a member or
/// element is the first one, otherwise it needs a comma (no value ends in `{` or `[`).
public struct JSONBytesWriter {
    public private(set) var bytes: [UInt8] = []
    #if DEBUG
    /// The last key written at each open object level (key order check).
    private var lastKeys: [String?] = []
    #endif

    public init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    public var data: Data { Data(bytes) }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        #if DEBUG
        lastKeys.append(nil)
        #endif
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        #if DEBUG
        lastKeys.removeLast()
        #endif
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
    }

    public mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// Starts a member; the value written next belongs to it.
    public mutating func key(_ key: String) {
        #if DEBUG
        if let previous = lastKeys[lastKeys.count - 1] {
            precondition(previous.utf8.lexicographicallyPrecedes(key.utf8), "keys out of order: '\(previous)' before '\(key)'")
        }
        lastKeys[lastKeys.count - 1] = key
        #endif
        separate()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
    }

    /// As `JSONEncoder` writes a `Double`: Swift's shortest round-trip form without a
    /// trailing `.0` (`15`, `0.1`, `1e+20`, `-0`).
    public mutating func number(_ value: Double) {
        separate()
        // Whole numbers below 1e15 (millisecond timestamps, counts, most thresholds) are
        // written as integers, which is what `description` minus ".0" gives for them, at a
        // fraction of the cost; -0 keeps its sign through the general path.
        if value.rounded(.towardZero) == value, abs(value) < 1e15, value != 0 || value.sign == .plus {
            bytes.append(contentsOf: String(Int64(value)).utf8)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? JSONBytesWriter.trueBytes : JSONBytesWriter.falseBytes)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: JSONBytesWriter.nullBytes)
    }

    // MARK: Members (the `encode` / `encodeIfPresent` of a keyed container)

    public mutating func member(_ key: String, _ value: String) {
        self.key(key)
        string(value)
    }

    /// Left out when nil, as `encodeIfPresent` does.
    public mutating func member(_ key: String, ifPresent value: String?) {
        guard let value else { return }
        member(key, value)
    }

    /// Written as `null` when nil, as `encode` of an optional does.
    public mutating func member(_ key: String, orNull value: String?) {
        self.key(key)
        if let value { string(value) } else { null() }
    }

    public mutating func member(_ key: String, _ value: Double) {
        self.key(key)
        number(value)
    }

    public mutating func member(_ key: String, _ value: Int) {
        self.key(key)
        integer(value)
    }

    public mutating func member(_ key: String, ifPresent value: Int?) {
        guard let value else { return }
        member(key, value)
    }

    /// A string map with its keys sorted as `JSONEncoder` sorts them (by UTF-8 bytes).
    public mutating func member(_ key: String, _ map: [String: String]) {
        self.key(key)
        beginObject()
        for name in map.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            member(name, map[name]!)
        }
        endObject()
    }

    /// Member order in every object this writer writes: by the keys' UTF-8 bytes, as
    /// `JSONEncoder`'s `.sortedKeys`.
    static func keyPrecedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// A value already written as JSON (by this writer: the bytes are taken as they are).
    public mutating func json(_ value: [UInt8]) {
        separate()
        bytes.append(contentsOf: value)
    }

    // MARK: Internals

    private mutating func separate() {
        guard let last = bytes.last else { return }
        switch last {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ":"): return
        default: bytes.append(UInt8(ascii: ","))
        }
    }

    /// A JSON string as `JSONEncoder` escapes it: `"` and `\`, the short forms `\b \t \n
    /// \f \r`, other control characters as `\u00xx` (lower-case hex); `/`, DEL and
    /// non-ASCII are written as they are.
    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              JSONBytesWriter.hexDigits[Int(byte >> 4)], JSONBytesWriter.hexDigits[Int(byte & 0xF)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
}
