import Foundation
import HeraldCore

/// Writes back the JSON a compact document was made from (see `CompactJSON`): the
/// separators from the structure, every string and number as stored. Any byte that does
/// not fit the format (a damaged row) makes it give up with nil rather than guess.
struct CompactDecoder {
    private let input: UnsafeBufferPointer<UInt8>
    private var position: Int
    /// The known string, then the JSON written so far.
    private var output: [UInt8]
    /// The document's strings so far, as ranges of `output` (their text between quotes;
    /// the known string first, when there is one).
    private var strings: [Range<Int>] = []

    private init(input: UnsafeBufferPointer<UInt8>, start: Int, known: [UInt8]) {
        self.input = input
        position = start
        output = known
        output.reserveCapacity(known.count + input.count * 5 / 2)
        if !known.isEmpty { strings.append(0..<known.count) }
    }

    /// The JSON of the compact document whose items start at `start` (past its header),
    /// with `known` as string 0 when not empty.
    static func decode(_ input: UnsafeBufferPointer<UInt8>, start: Int, known: [UInt8]) -> Data? {
        var decoder = CompactDecoder(input: input, start: start, known: known)
        guard decoder.value(depth: 0), decoder.position == input.count else { return nil }
        return Data(decoder.output[known.count...])
    }

    private mutating func value(depth: Int) -> Bool {
        guard position < input.count, depth < CompactJSON.maxDepth else { return false }
        let tag = input[position]
        switch tag {
        case ASCII.openBrace: return container(close: ASCII.closeBrace, members: true, depth: depth)
        case ASCII.openBracket: return container(close: ASCII.closeBracket, members: false, depth: depth)
        case CompactJSON.Tag.token:
            position += 1
            guard let count = number() else { return false }
            return copy(count)
        case CompactJSON.Tag.shortToken...(CompactJSON.Tag.shortToken | 0x0F):
            position += 1
            let count = Int(tag & 0x0F)
            return count > 0 && copy(count)
        default:
            return string()
        }
    }

    private mutating func container(close: UInt8, members: Bool, depth: Int) -> Bool {
        output.append(input[position])
        position += 1
        var first = true
        while position < input.count {
            if input[position] == close {
                output.append(close)
                position += 1
                return true
            }
            if !first { output.append(ASCII.comma) }
            first = false
            if members {
                guard string() else { return false }
                output.append(ASCII.colon)
            }
            guard value(depth: depth + 1) else { return false }
        }
        return false
    }

    /// A string item, quotes included; false for a tag that is not one.
    private mutating func string() -> Bool {
        guard position < input.count else { return false }
        let tag = input[position]
        position += 1
        output.append(ASCII.quote)
        let start = output.count
        switch tag {
        case CompactJSON.Tag.word...:
            let word = Int(tag & 0x7F)
            guard word < CompactJSON.wordBytes.count else { return false }
            output.append(contentsOf: CompactJSON.wordBytes[word])
            output.append(ASCII.quote)
            return true   // words are not counted among the document's strings
        case CompactJSON.Tag.reference:
            guard let index = number(), index < strings.count else { return false }
            repeatOutput(strings[index])
            output.append(ASCII.quote)
            return true   // nor are references
        case CompactJSON.Tag.literal:
            guard let count = number(), copy(count) else { return false }
        case CompactJSON.Tag.shortLiteral...(CompactJSON.Tag.shortLiteral | 0x1F):
            guard copy(Int(tag & 0x1F)) else { return false }
        case CompactJSON.Tag.prefixed:
            guard let index = number(), index < strings.count, let shared = number(), shared <= strings[index].count,
                  let rest = number() else { return false }
            repeatOutput(strings[index].prefix(shared))
            guard copy(rest) else { return false }
        case CompactJSON.Tag.time:
            guard let milliseconds = number(), CompactTime.write(milliseconds, to: &output) else { return false }
        default:
            return false
        }
        strings.append(start..<output.count)
        output.append(ASCII.quote)
        return true
    }

    /// Copies `count` stored bytes to the output.
    private mutating func copy(_ count: Int) -> Bool {
        guard count <= input.count - position else { return false }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[position..<(position + count)]))
        position += count
        return true
    }

    /// Appends bytes already written (an earlier string or its start).
    private mutating func repeatOutput(_ range: Range<Int>) {
        output.reserveCapacity(output.count + range.count)
        for index in range { output.append(output[index]) }
    }

    /// Unsigned LEB128; nil when truncated or past `Int.max`.
    private mutating func number() -> Int? {
        guard let value = LEB128.readUnsigned(input, at: &position), value <= UInt64(Int.max) else { return nil }
        return Int(value)
    }
}

/// The notices' time form, `YYYY-MM-DDTHH:MM:SS.mmmZ` (`NotificationJSON.timestamp`), as
/// milliseconds since 1970 and back, by the civil-calendar arithmetic of Howard Hinnant's
/// `days_from_civil` (no formatter, no time zone: these are UTC by their `Z`).
enum CompactTime {
    static let textLength = 24
    /// 10000-01-01T00:00:00.000Z: four-digit years only.
    static let endMilliseconds = 253_402_300_800_000

    /// The time `text` names, or nil when it is not exactly in that form, before 1970, or
    /// does not write back as the same bytes (`2026-02-30…` names another day).
    static func milliseconds(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard text.count == textLength, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
              text[10] == UInt8(ascii: "T"), text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"),
              text[19] == UInt8(ascii: "."), text[23] == UInt8(ascii: "Z") else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(text[index]) - Int(UInt8(ascii: "0"))
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10), let hour = digits(11..<13),
              let minute = digits(14..<16), let second = digits(17..<19), let milli = digits(20..<23),
              year >= 1970, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let milliseconds = (((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + milli
        var written: [UInt8] = []
        written.reserveCapacity(textLength)
        guard write(milliseconds, to: &written), written.withUnsafeBufferPointer({ CompactJSON.same($0, text) }) else { return nil }
        return milliseconds
    }

    /// Appends the text of `milliseconds`; false when it is outside 1970–9999.
    static func write(_ milliseconds: Int, to output: inout [UInt8]) -> Bool {
        guard milliseconds >= 0, milliseconds < endMilliseconds else { return false }
        let (days, inDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        put(year, 4); output.append(UInt8(ascii: "-")); put(month, 2); output.append(UInt8(ascii: "-")); put(day, 2)
        output.append(UInt8(ascii: "T")); put(inDay / 3_600_000, 2); output.append(UInt8(ascii: ":"))
        put(inDay / 60_000 % 60, 2); output.append(UInt8(ascii: ":")); put(inDay / 1000 % 60, 2)
        output.append(UInt8(ascii: ".")); put(inDay % 1000, 3); output.append(UInt8(ascii: "Z"))
        return true
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (year >= 0).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (days >= 0).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
