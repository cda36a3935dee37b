import Glibc

/// Numbers: the RFC 8259 grammar is checked byte by byte; the value is the correctly
/// rounded `Double`. Plain integers of up to 15 digits (counts, ports, most thresholds)
/// are exact in a `Double` and are summed directly; anything else goes to C `strtod` —
/// decimal-to-binary rounding is exactly the kind of code not to write by hand.
extension JSONParser {
    /// Most digits of an integer summed directly: 10^15 < 2^53, so every such integer
    /// is exactly representable and no rounding can happen.
    static let maxFastIntegerDigits = 15

    /// Longest number literal quoted whole in a message.
    static let maxQuotedNumberLength = 40
}

extension JSONByteReader {
    /// Reads the number starting at `index` (a minus sign or a digit).
    mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let numberStart = index
        let negative = bytes[index] == ASCII.minus
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw failure(index < bytes.count ? .invalidNumber : .unexpectedEnd, "expected a digit after '-'")
        }
        var integer: Int64 = 0
        var integerDigits = 0
        if bytes[index] == ASCII.zero {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw failure(.invalidNumber, "leading zero in number", at: index - 1)
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if integerDigits < JSONParser.maxFastIntegerDigits { integer = integer * 10 + Int64(bytes[index] - ASCII.zero) }
                integerDigits += 1
                index += 1
            }
        }
        var plainInteger = true
        if index < bytes.count, bytes[index] == ASCII.dot {
            plainInteger = false
            index += 1
            try digits(after: "the decimal point")
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            plainInteger = false
            index += 1
            if index < bytes.count, bytes[index] == ASCII.plus || bytes[index] == ASCII.minus { index += 1 }
            try digits(after: "the exponent")
        }
        if plainInteger, integerDigits <= JSONParser.maxFastIntegerDigits {
            let value = Double(integer)
            return negative ? -value : value
        }
        return try convert(numberStart..<index)
    }

    /// One or more digits, as the grammar requires after '.' and 'e'.
    mutating func digits(after place: String) throws(JSONSyntaxError) {
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw failure(index < bytes.count ? .invalidNumber : .unexpectedEnd, "expected a digit after \(place)")
        }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- ASCII.zero < 10 }

    /// `strtod` on a NUL-terminated copy of the literal (already known to be valid JSON
    /// grammar, which `strtod` accepts whole). A value beyond ±`Double.greatestFiniteMagnitude`
    /// is refused, as Foundation refuses it: a config threshold or event value of infinity
    /// is always a mistake. Underflow to zero (`1e-400`) is accepted, as in Foundation.
    func convert(_ range: Range<Int>) throws(JSONSyntaxError) -> Double {
        let literal = UnsafeBufferPointer(rebasing: bytes[range])
        let (value, consumed) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: literal.count + 1) { copy in
            for (offset, byte) in literal.enumerated() { copy[offset] = CChar(bitPattern: byte) }
            copy[literal.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(copy.baseAddress!, &end)
            return (value, end.map { $0 - copy.baseAddress! } ?? 0)
        }
        // `strtod` reads the decimal point of LC_NUMERIC. Herald never calls setlocale,
        // so it is "C"; should an embedding program change it, Swift's own
        // locale-independent conversion takes over instead of a wrong value.
        let result = consumed == literal.count ? value : Double(String(decoding: literal, as: UTF8.self)) ?? .infinity
        guard result.isFinite else {
            let text = String(decoding: literal.prefix(JSONParser.maxQuotedNumberLength), as: UTF8.self)
            throw failure(.numberOutOfRange, "number \(text)\(literal.count > JSONParser.maxQuotedNumberLength ? "…" : "") is out of range for a 64-bit float",
                          at: range.lowerBound)
        }
        return result
    }
}
