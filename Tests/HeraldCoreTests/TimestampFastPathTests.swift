import Foundation
import Testing
@testable import HeraldCore

/// `EventDecoder.parseTimestamp`'s fast path against Foundation's ISO 8601 parsing (the
/// only path before): on seeded valid and near-valid timestamps both must accept the
/// same strings and give the same instant to the microsecond.
struct TimestampFastPathTests {
    /// Foundation alone, exactly as `parseTimestamp` parsed before the fast path, on the
    /// text with RFC 3339's optional lower-case `t`/`z` upper-cased (#17 item 11).
    static func foundation(_ text: String) -> Date? {
        let text = text.utf8.contains(where: { $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: "z") }) ? text.uppercased() : text
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    static let samples = 4000

    /// A timestamp in the common form with fields sometimes out of range, and sometimes
    /// one character replaced, inserted or removed.
    static func timestamp(_ random: inout SplitMix64) -> String {
        func two(_ range: ClosedRange<Int>) -> String { String(format: "%02d", Int.random(in: range, using: &random)) }
        let year = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 1...9999, using: &random) : Int.random(in: 1890...2110, using: &random)
        var text = String(format: "%04d", year) + "-" + two(0...13) + "-" + two(0...32) + "T" + two(0...24) + ":" + two(0...60) + ":" + two(0...60)
        if Bool.random(using: &random) {
            text += "." + String((0..<Int.random(in: 0...11, using: &random)).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
        }
        switch Int.random(in: 0..<6, using: &random) {
        case 0, 1: text += "Z"
        case 2, 3: text += (Bool.random(using: &random) ? "+" : "-") + two(0...24) + ":" + two(0...60)
        case 4: text += ["z", "+0100", "+01", "-00:00", "", "Zjunk", "+14:60"][Int.random(in: 0..<7, using: &random)]
        default: text += "Z"
        }
        if Int.random(in: 0..<4, using: &random) == 0 {
            var scalars = Array(text.unicodeScalars)
            let at = Int.random(in: 0..<scalars.count, using: &random)
            let replacement: Unicode.Scalar = ["0", "9", "T", "t", " ", "-", ":", ".", "Z", "x"][Int.random(in: 0..<10, using: &random)]
            switch Int.random(in: 0..<3, using: &random) {
            case 0: scalars[at] = replacement
            case 1: scalars.insert(replacement, at: at)
            default: scalars.remove(at: at)
            }
            text = String(String.UnicodeScalarView(scalars))
        }
        return text
    }

    @Test func fastPathAgreesWithFoundation() {
        var random = SplitMix64(seed: 0x7469_6D65)
        var failures: [String] = []
        var fast = 0
        var accepted = 0
        for _ in 0..<Self.samples {
            let text = Self.timestamp(&random)
            let ours = EventDecoder.parseTimestamp(text)
            let theirs = Self.foundation(text)
            if EventDecoder.parseCommonTimestamp(text) != nil { fast += 1 }
            if ours != nil { accepted += 1 }
            switch (ours, theirs) {
            case (nil, nil): break
            case (let a?, let b?) where abs(a.timeIntervalSince1970 - b.timeIntervalSince1970) < 1e-6: break
            default: failures.append("\(text): ours \(ours.map { "\($0.timeIntervalSince1970)" } ?? "nil"), Foundation \(theirs.map { "\($0.timeIntervalSince1970)" } ?? "nil")")
            }
        }
        #expect(failures.prefix(5).isEmpty, "\(failures.count) disagreements")
        // The sample must exercise the fast path, the fallback and refusals alike.
        #expect(fast > Self.samples / 5 && accepted > fast && accepted < Self.samples * 9 / 10, "fast \(fast), accepted \(accepted)")
    }

    @Test func commonFormsTakeTheFastPathAndOddOnesAreLeftToFoundation() {
        #expect(EventDecoder.parseCommonTimestamp("2026-11-23T10:15:00Z") == Date(timeIntervalSince1970: 1_795_428_900))
        #expect(EventDecoder.parseCommonTimestamp("2026-11-23T10:15:00.250Z") == Date(timeIntervalSince1970: 1_795_428_900.25))
        #expect(EventDecoder.parseCommonTimestamp("2026-11-23T11:45:00+01:30") == Date(timeIntervalSince1970: 1_795_428_900))
        #expect(EventDecoder.parseCommonTimestamp("2026-11-23T08:15:00-02:00") == Date(timeIntervalSince1970: 1_795_428_900))
        // Normalised by timegm, so Foundation decides (it rolls February 30 over).
        #expect(EventDecoder.parseCommonTimestamp("2026-02-30T10:15:00Z") == nil)
        #expect(EventDecoder.parseTimestamp("2026-02-30T10:15:00Z") == Self.foundation("2026-02-30T10:15:00Z"))
        #expect(EventDecoder.parseCommonTimestamp("1582-10-10T00:00:00Z") == nil)
        #expect(EventDecoder.parseCommonTimestamp("2026-11-23T10:15:00+0100") == nil)
        #expect(EventDecoder.parseTimestamp("2026-11-23T10:15:00+0100") == Date(timeIntervalSince1970: 1_795_425_300))
        #expect(EventDecoder.parseTimestamp("yesterday") == nil)
    }
}

/// #17 item 11: RFC 3339 §5.6 allows a lower-case `t` and `z`; offsets beyond ±18:00 stay refused.
struct TimestampCaseTests {
    @Test(arguments: ["2026-11-23t09:00:00z", "2026-11-23t09:00:00.250z", "2026-11-23t10:00:00+01:00", "2026-11-23T09:00:00z"])
    func lowerCaseSeparatorAndZoneAreAccepted(_ text: String) throws {
        let date = try #require(EventDecoder.parseTimestamp(text))
        #expect(abs(date.timeIntervalSince(EventDecoder.parseTimestamp("2026-11-23T09:00:00Z")!)) < 1)
    }

    @Test func offsetsBeyondEighteenHoursAreRefused() {
        #expect(EventDecoder.parseTimestamp("2026-11-23T09:00:00+19:00") == nil)
    }
}
