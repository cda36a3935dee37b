import Foundation
import HeraldCore

/// The `json` target: Herald's `JSONParser` against Foundation's `JSONSerialization` on
/// the same bytes. Both must accept or both refuse, and an accepted document must be the
/// same value — except for the deliberate differences `JSONReference` lists. A refusal
/// must name a place inside the input.
///
/// Compiled into herald-fuzz and, through a symlink, into HeraldCoreTests, where the
/// differential tests use `JSONReference` too.
enum JSONFuzzing {
    /// Same bound as the event body limit; libFuzzer's `-max_len` stays far below it.
    static let maxInputBytes = 1 << 20

    static func run(_ data: Data) {
        guard data.count <= maxInputBytes else { return }
        if let disagreement = JSONReference.disagreement(on: data) {
            preconditionFailure("JSONParser and Foundation disagree: \(disagreement)")
        }
    }
}

/// Foundation as the reference reader, and the rules for comparing with it.
///
/// Deliberate differences (where Foundation accepts what RFC 8259 forbids, and Herald
/// refuses it):
/// - **trailing commas**: Foundation accepts `[1,]` and `{"a":1,}`; Herald refuses them
///   ("trailing comma before ']'") — a hand-edited config with one is usually half-edited.
/// - **UTF-16 and UTF-32**: Foundation guesses the encoding from BOMs and NUL patterns
///   (so even `1\0` is "UTF-16LE 1"); RFC 8259 §8.1 requires UTF-8 and Herald reads only
///   UTF-8 (a UTF-8 BOM is skipped by both).
/// - **digits beyond 64 bits**: numbers Foundation reads through `NSDecimalNumber` (e.g.
///   `123456789012345678901`, `0.30000000000000004441`) come out of Foundation up to a
///   few units in the last place off; Herald's are correctly rounded (`strtod`). Such
///   numbers are compared within `decimalTolerance`, and against Swift's own correctly
///   rounded `Double(String)` by the differential tests.
/// - **U+FEFF inside strings**: Foundation drops a raw U+FEFF (zero-width no-break
///   space, the BOM character) at the start of a string or right after an escape, as
///   if it were a byte-order mark; Herald keeps string content as written. Strings are
///   compared without U+FEFF when they differ only by it (found by the fuzzer; corpus
///   `regression-feff-after-escape.json`).
/// - `-0` is `-0.0` in Herald and integer `0` in Foundation; they compare equal.
enum JSONReference {
    /// Relative difference allowed between Herald's number and Foundation's when
    /// Foundation went through `NSDecimalNumber` (its conversion to Double is not
    /// correctly rounded; seen off by 2 ulp ≈ 4e-16).
    static let decimalTolerance = 1e-13
    /// Most trailing commas removed while explaining one refusal (bounds the work a
    /// hostile input can cause: each removal reparses the document).
    static let maxCommaRemovals = 32

    /// Foundation's reading, or nil when it refuses.
    static func foundation(_ data: Data) -> Any? {
        try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Why the two parsers disagree on `data`, or nil when they agree (or differ only
    /// deliberately).
    static func disagreement(on data: Data, commaRemovals: Int = 0) -> String? {
        let theirs = foundation(data)
        do {
            let ours = try JSONParser.parse(data)
            guard let theirs else { return "Herald accepted what Foundation refuses" }
            return matches(ours.value, theirs) ? nil : "different values: Herald \(ours.value), Foundation \(theirs)"
        } catch {
            if let misplaced = misplacement(of: error, in: data) { return misplaced }
            guard theirs != nil else { return nil }
            if readsAsUTF16or32(data) { return nil }
            if error.code == .trailingComma {
                guard commaRemovals < maxCommaRemovals else { return nil }
                // Foundation skips the comma: without it both must agree on the rest.
                var fixed = data
                fixed.remove(at: fixed.startIndex + error.offset)
                return disagreement(on: fixed, commaRemovals: commaRemovals + 1)
            }
            return "Herald refused what Foundation accepts: \(error)"
        }
    }

    /// A refusal must point at a byte of the input (or just past its end).
    static func misplacement(of error: JSONSyntaxError, in data: Data) -> String? {
        let lines = data.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        guard error.line >= 1, error.column >= 1, error.line <= lines, error.offset >= 0, error.offset <= data.count else {
            return "refusal placed outside the input: \(error) at offset \(error.offset) of \(data.count)"
        }
        guard error.message.hasPrefix("invalid JSON: "), error.message.count > 14 else { return "refusal without a message: \(error)" }
        return nil
    }

    /// Foundation would decode `data` as UTF-16 or UTF-32: a UTF-16/32 byte-order mark, or
    /// a NUL among the first two bytes (RFC 4627's detection).
    static func readsAsUTF16or32(_ data: Data) -> Bool {
        let bytes = Array(data.prefix(4))
        guard bytes.count >= 2 else { return false }
        return bytes[0] == 0 || bytes[1] == 0 || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE])
    }

    /// Herald's value equals Foundation's object tree.
    static func matches(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null:
            return theirs is NSNull
        case .string(let s):
            return (theirs as? String).map { sameString(s, $0) } ?? false
        case .array(let items):
            guard let others = theirs as? [Any], others.count == items.count else { return false }
            return zip(items, others).allSatisfy { matches($0, $1) }
        case .object(let members):
            guard let others = theirs as? [String: Any] else { return false }
            if others.count == members.count, members.allSatisfy({ key, value in others[key].map { matches(value, $0) } ?? false }) {
                return true
            }
            return matchesDroppingFEFF(members, others)
        case .bool(let b):
            guard let number = theirs as? NSNumber, isBoolean(number) else { return false }
            return number.boolValue == b
        case .number(let n):
            guard let number = theirs as? NSNumber, !isBoolean(number) else { return false }
            if number is NSDecimalNumber {
                return abs(n - number.doubleValue) <= decimalTolerance * max(abs(n), Double.leastNormalMagnitude)
            }
            return n == number.doubleValue
        }
    }

    /// Objects compared with U+FEFF removed from the keys. Keys that become equal
    /// without it ("\u{FEFF}" and "") are one key to Foundation, which keeps the later
    /// value: those are compared by presence only.
    static func matchesDroppingFEFF(_ members: [String: JSONValue], _ others: [String: Any]) -> Bool {
        let ours = Dictionary(grouping: members.keys, by: withoutFEFF)
        let theirs = Dictionary(grouping: others.keys, by: withoutFEFF)
        guard Set(ours.keys) == Set(theirs.keys) else { return false }
        return ours.allSatisfy { stripped, keys in
            guard keys.count == 1, let their = theirs[stripped], their.count == 1 else { return true }
            return matches(members[keys[0]]!, others[their[0]]!)
        }
    }

    /// Equal, or equal but for U+FEFF that Foundation dropped.
    static func sameString(_ ours: String, _ theirs: String) -> Bool {
        ours == theirs || withoutFEFF(ours) == withoutFEFF(theirs)
    }

    static func withoutFEFF(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" }))
    }

    /// Foundation's tree as a `JSONValue` (for readable expectations in tests).
    static func value(_ theirs: Any) -> JSONValue {
        if let string = theirs as? String { return .string(string) }
        if let object = theirs as? [String: Any] { return .object(object.mapValues(value)) }
        if let array = theirs as? [Any] { return .array(array.map(value)) }
        if let number = theirs as? NSNumber { return isBoolean(number) ? .bool(number.boolValue) : .number(number.doubleValue) }
        return .null
    }

    /// Booleans arrive as a distinct NSNumber subclass; `NSNumber(1) is Bool` is true on
    /// Linux, so the class is compared instead.
    static func isBoolean(_ number: NSNumber) -> Bool { type(of: number) == booleanClass }

    private static let booleanClass: AnyClass = type(of: NSNumber(value: true))
}
