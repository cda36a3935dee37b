import Foundation
@testable import HeraldCore

/// Seeded random JSON texts with the value they encode, for the differential tests:
/// every escape form (short, `\u` either case, surrogate pairs), raw UTF-8 up to four
/// bytes, integers, decimals and exponents, random whitespace; and byte mutations of them.
struct RandomJSON {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// Characters strings are made of: ASCII, characters that must be escaped, and
    /// multi-byte ones (two, three and four UTF-8 bytes, the largest scalar).
    static let characters: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\u{8}", "\u{C}", "\n", "\r", "\t",
                                               "\u{1F}", "\u{7F}", "é", "€", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "😀", "\u{10FFFF}"]
    static let whitespace = ["", "", "", " ", "\n", "\t", "\r\n", "  "]

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func space() -> String { pick(Self.whitespace) }

    /// A document: a container most of the time, sometimes a scalar fragment.
    mutating func document(maxDepth: Int = 5) -> (text: String, value: JSONValue) {
        let (text, value) = element(depth: chance(90) ? maxDepth : 0)
        return (space() + text + space(), value)
    }

    mutating func element(depth: Int) -> (String, JSONValue) {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &random) {
        case 0: return ("null", .null)
        case 1: return chance(50) ? ("true", .bool(true)) : ("false", .bool(false))
        case 2: return number()
        case 3, 4: let (text, value) = string(); return (text, .string(value))
        case 5: return array(depth: depth - 1)
        default: return object(depth: depth - 1)
        }
    }

    mutating func array(depth: Int) -> (String, JSONValue) {
        var texts: [String] = []
        var values: [JSONValue] = []
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let (text, value) = element(depth: depth)
            texts.append(space() + text + space())
            values.append(value)
        }
        return ("[" + (texts.isEmpty ? space() : texts.joined(separator: ",")) + "]", .array(values))
    }

    mutating func object(depth: Int) -> (String, JSONValue) {
        var texts: [String] = []
        var members: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &random) {
            let (keyText, key) = string()
            guard members[key] == nil else { continue }
            let (text, value) = element(depth: depth)
            texts.append(space() + keyText + space() + ":" + space() + text + space())
            members[key] = value
        }
        return ("{" + (texts.isEmpty ? space() : texts.joined(separator: ",")) + "}", .object(members))
    }

    /// A number literal in one of JSON's forms; its value is Swift's own conversion.
    mutating func number() -> (String, JSONValue) {
        let sign = chance(30) ? "-" : ""
        var text: String
        switch Int.random(in: 0..<6, using: &random) {
        case 0: text = String(Int.random(in: 0...1000, using: &random))
        case 1: text = String(UInt64.random(in: 0...999_999_999_999_999, using: &random))
        case 2: text = String(UInt64.random(in: 1_000_000_000_000_000...UInt64.max, using: &random))
        case 3: text = "\(Int.random(in: 0...99_999, using: &random)).\(digits(Int.random(in: 1...9, using: &random)))"
        case 4: text = "\(Int.random(in: 1...9, using: &random)).\(digits(Int.random(in: 1...16, using: &random)))"
                + pick(["e", "E"]) + pick(["", "+", "-"]) + String(Int.random(in: 0...300, using: &random))
        default: text = "0." + digits(Int.random(in: 1...17, using: &random))
        }
        text = sign + text
        return (text, .number(Double(text)!))
    }

    mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(Unicode.Scalar(UInt8.random(in: 48...57, using: &random))) })
    }

    /// A string literal and its value, each character written raw or escaped at random
    /// (characters JSON requires escaped always are).
    mutating func string() -> (String, String) {
        var text = "\""
        var value = ""
        for _ in 0..<Int.random(in: 0...8, using: &random) {
            let scalar = pick(Self.characters)
            value.unicodeScalars.append(scalar)
            text += encode(scalar)
        }
        return (text + "\"", value)
    }

    mutating func encode(_ scalar: Unicode.Scalar) -> String {
        let short: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "/": "\\/", "\u{8}": "\\b", "\u{C}": "\\f",
                                               "\n": "\\n", "\r": "\\r", "\t": "\\t"]
        let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
        if !mustEscape, chance(60) { return String(scalar) }
        if let escape = short[scalar], chance(70) { return escape }
        let units = String(scalar).utf16.map { String($0, radix: 16, uppercase: chance(50)) }
        return units.map { "\\u" + String(repeating: "0", count: 4 - $0.count) + $0 }.joined()
    }

    /// One to three byte edits: bytes JSON's grammar cares about, or any byte at all.
    mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
        let alphabet = Array("{}[],:\"\\ 0123456789eE.-+tfnu/\n\t".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF0, 0xFF, 0xEF, 0xBB, 0xBF]
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let byte = chance(80) ? pick(alphabet) : UInt8.random(in: 0...255, using: &random)
            let at = Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes.insert(byte, at: at)
            case 1: if at < bytes.count { bytes.remove(at: at) }
            default: if at < bytes.count { bytes[at] = byte }
            }
        }
        return bytes
    }
}
