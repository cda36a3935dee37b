/// Strings: the common case (no escape) is one scan and one `String` made straight from
/// the bytes; escapes go through a byte buffer. Raw bytes must be valid UTF-8 (RFC 8259
/// §8.1), `\u` escapes must pair surrogates, control characters must be escaped.
extension JSONByteReader {
    /// Reads the string whose opening quote is at `index`.
    mutating func parseString() throws(JSONSyntaxError) -> String {
        let open = index
        index += 1
        let contentStart = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.quote {
                let text = try makeString(contentStart..<index, ascii: ascii)
                index += 1
                return text
            }
            if byte == ASCII.backslash { return try parseEscapedString(from: contentStart, ascii: ascii) }
            if byte < 0x20 { throw controlCharacter(byte) }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw failure(.invalidString, "unterminated string", at: open)
    }

    /// A string without escapes, from its raw bytes.
    func makeString(_ range: Range<Int>, ascii: Bool) throws(JSONSyntaxError) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        if ascii { return String(decoding: slice, as: UTF8.self) }
        guard let text = String(validating: slice, as: UTF8.self) else { throw invalidUTF8(in: range) }
        return text
    }

    /// The rest of a string once a backslash is seen: copies what was read so far, then
    /// decodes escape by escape.
    mutating func parseEscapedString(from contentStart: Int, ascii: Bool) throws(JSONSyntaxError) -> String {
        var ascii = ascii
        var buffer: [UInt8] = []
        buffer.reserveCapacity(index - contentStart + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ASCII.quote:
                // Escapes are ASCII and decode to whole scalars, so the raw bytes are valid
                // UTF-8 exactly when the decoded buffer is: check the raw ones, where a
                // fault has a position.
                if !ascii, String(validating: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]), as: UTF8.self) == nil {
                    throw invalidUTF8(in: contentStart..<index)
                }
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            case ASCII.backslash:
                try appendEscape(to: &buffer)
            case 0..<0x20:
                throw controlCharacter(byte)
            default:
                if byte >= 0x80 { ascii = false }
                buffer.append(byte)
                index += 1
            }
        }
        throw failure(.invalidString, "unterminated string", at: contentStart - 1)
    }

    /// Decodes the escape at `index` (a backslash) into `buffer`.
    mutating func appendEscape(to buffer: inout [UInt8]) throws(JSONSyntaxError) {
        let escape = index
        guard index + 1 < bytes.count else { throw failure(.invalidString, "unterminated string", at: escape) }
        let letter = bytes[index + 1]
        index += 2
        switch letter {
        case ASCII.quote, ASCII.backslash, UInt8(ascii: "/"): buffer.append(letter)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(ASCII.newline)
        case UInt8(ascii: "r"): buffer.append(ASCII.carriageReturn)
        case UInt8(ascii: "t"): buffer.append(ASCII.tab)
        case UInt8(ascii: "u"):
            let scalar = try unicodeEscape(startingAt: escape)
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            let shown = letter > 0x20 && letter < 0x7F ? "'\\\(Character(Unicode.Scalar(letter)))'" : "'\\' followed by \(describeByte(at: escape + 1))"
            throw failure(.invalidEscape, "invalid escape \(shown)", at: escape)
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; `index` is just past the `u`.
    mutating func unicodeEscape(startingAt escape: Int) throws(JSONSyntaxError) -> Unicode.Scalar {
        let unit = try hexCodeUnit(escapeAt: escape)
        switch unit {
        case 0xD800...0xDBFF:
            let low = index
            guard index + 1 < bytes.count, bytes[index] == ASCII.backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure(.invalidEscape, "lone surrogate \\u\(hex(unit)) in string: a high surrogate must be followed by a \\uDC00–\\uDFFF escape", at: escape)
            }
            index += 2
            let second = try hexCodeUnit(escapeAt: low)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw failure(.invalidEscape, "lone surrogate \\u\(hex(unit)) in string: followed by \\u\(hex(second)), not a low surrogate", at: escape)
            }
            let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            return Unicode.Scalar(value)!   // in 0x10000...0x10FFFF by construction
        case 0xDC00...0xDFFF:
            throw failure(.invalidEscape, "lone surrogate \\u\(hex(unit)) in string: a low surrogate without a high one before it", at: escape)
        default:
            return Unicode.Scalar(unit)!    // not a surrogate, so a valid scalar
        }
    }

    /// The four hex digits after `\u`.
    mutating func hexCodeUnit(escapeAt escape: Int) throws(JSONSyntaxError) -> UInt16 {
        var unit: UInt16 = 0
        for offset in 0..<4 {
            guard index + offset < bytes.count, let digit = hexValue(bytes[index + offset]) else {
                throw failure(.invalidEscape, "invalid \\u escape: expected 4 hex digits", at: escape)
            }
            unit = unit << 4 | UInt16(digit)
        }
        index += 4
        return unit
    }

    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.zero...ASCII.nine: byte - ASCII.zero
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    func hex(_ unit: UInt16) -> String { String(unit, radix: 16, uppercase: true).leftPadded(to: 4) }

    func controlCharacter(_ byte: UInt8) -> JSONSyntaxError {
        failure(.invalidString, "control character U+\(hex(UInt16(byte))) in string; write it as an escape like \\n or \\u00\(hex(UInt16(byte)).suffix(2))")
    }

    /// Names the first byte of `range` that is not valid UTF-8 (error path only).
    func invalidUTF8(in range: Range<Int>) -> JSONSyntaxError {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = UnsafeBufferPointer(rebasing: bytes[range]).makeIterator()
        var offset = range.lowerBound
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error(let length):
                let shown = (offset..<min(offset + max(length, 1), range.upperBound)).map { String(bytes[$0], radix: 16, uppercase: true).leftPadded(to: 2) }
                return failure(.invalidUTF8, "invalid UTF-8 in string (bytes \(shown.joined(separator: " ")))", at: offset)
            case .emptyInput:
                return failure(.invalidUTF8, "invalid UTF-8 in string", at: range.lowerBound)
            }
        }
    }
}
