import Foundation
import HeraldCore

/// Writes the compact form of JSON without whitespace (see `CompactJSON`), or gives up
/// (nil) at the first byte that is not such JSON; the caller then stores the bytes as
/// they are. One pass, no tree: strings and numbers are copied as the text has them.
struct CompactEncoder {
    private let input: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var output: [UInt8] = []
    private var strings = CompactStringTable()

    private init(input: UnsafeBufferPointer<UInt8>) { self.input = input }

    /// The compact document (`header`, then its items), or nil when `input` after its
    /// first `knownBytes` bytes (the known string, the document's string 0) is not one
    /// JSON object or array without whitespace.
    static func encode(_ input: UnsafeBufferPointer<UInt8>, knownBytes: Int, header: [UInt8]) -> Data? {
        guard knownBytes < input.count, input[knownBytes] == ASCII.openBrace || input[knownBytes] == ASCII.openBracket
        else { return nil }
        var encoder = CompactEncoder(input: input)
        encoder.position = knownBytes
        encoder.output.reserveCapacity(input.count / 2 + 16)
        encoder.output.append(contentsOf: header)
        if knownBytes > 0 {
            let known = UnsafeBufferPointer(rebasing: input[..<knownBytes])
            encoder.strings.add(0..<knownBytes, hash: CompactJSON.fnv1a(known), in: input)
        }
        guard encoder.value(depth: 0), encoder.position == input.count else { return nil }
        return Data(encoder.output)
    }

    private mutating func value(depth: Int) -> Bool {
        guard position < input.count, depth < CompactJSON.maxDepth else { return false }
        switch input[position] {
        case ASCII.openBrace: return container(close: ASCII.closeBrace, members: true, depth: depth)
        case ASCII.openBracket: return container(close: ASCII.closeBracket, members: false, depth: depth)
        case ASCII.quote: return string()
        default: return token()
        }
    }

    /// An object (`members`) or array: its opening byte, items, its closing byte. The
    /// separators are checked here and left out of the output.
    private mutating func container(close: UInt8, members: Bool, depth: Int) -> Bool {
        output.append(input[position])
        position += 1
        if position < input.count, input[position] == close {
            output.append(close)
            position += 1
            return true
        }
        while true {
            if members {
                guard position < input.count, input[position] == ASCII.quote, string(),
                      position < input.count, input[position] == ASCII.colon else { return false }
                position += 1
            }
            guard value(depth: depth + 1), position < input.count else { return false }
            let next = input[position]
            position += 1
            if next == close {
                output.append(close)
                return true
            }
            guard next == ASCII.comma else { return false }
        }
    }

    /// A string from its opening quote: the text up to the first quote not escaped.
    private mutating func string() -> Bool {
        position += 1
        let start = position
        while position < input.count, input[position] != ASCII.quote {
            position += input[position] == ASCII.backslash ? 2 : 1
        }
        guard position < input.count else { return false }
        let end = position
        position += 1
        emitString(start..<end)
        return true
    }

    /// A number, `true`, `false` or `null`: the bytes up to the next separator, which may
    /// only be those of a number or one of the three words.
    private mutating func token() -> Bool {
        let start = position
        while position < input.count, ASCII.isTokenByte(input[position]) { position += 1 }
        let count = position - start
        guard count > 0 else { return false }
        if count <= CompactJSON.Tag.shortTokenMax {
            output.append(CompactJSON.Tag.shortToken | UInt8(count))
        } else {
            output.append(CompactJSON.Tag.token)
            appendNumber(count)
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
        return true
    }

    /// The shortest item for a string's text: a word, a reference, a time, a shared start
    /// and the rest, or the text. All but words and references become string `count`.
    private mutating func emitString(_ range: Range<Int>) {
        let text = UnsafeBufferPointer(rebasing: input[range])
        let hash = CompactJSON.fnv1a(text)
        if let word = CompactJSON.word(text, hash: hash) {
            output.append(CompactJSON.Tag.word | word)
            return
        }
        if let seen = strings.find(text, hash: hash, in: input) {
            output.append(CompactJSON.Tag.reference)
            appendNumber(seen)
            return
        }
        if let milliseconds = CompactTime.milliseconds(text) {
            output.append(CompactJSON.Tag.time)
            appendNumber(milliseconds)
        } else if let (source, shared) = strings.sharedStart(text, in: input) {
            output.append(CompactJSON.Tag.prefixed)
            appendNumber(source)
            appendNumber(shared)
            appendNumber(text.count - shared)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: text[shared...]))
        } else {
            if text.count <= CompactJSON.Tag.shortLiteralMax {
                output.append(CompactJSON.Tag.shortLiteral | UInt8(text.count))
            } else {
                output.append(CompactJSON.Tag.literal)
                appendNumber(text.count)
            }
            output.append(contentsOf: text)
        }
        strings.add(range, hash: hash, in: input)
    }

    /// Unsigned LEB128.
    private mutating func appendNumber(_ value: Int) { LEB128.appendUnsigned(UInt64(value), to: &output) }
}

/// The strings of a document being encoded, as ranges of its bytes: found again by hash
/// (open addressing), and by their first `CompactJSON.minimumSharedPrefix` bytes for the
/// latest one that starts the same way. Both lookups are O(1), so a notice to 10,000
/// people (30,000 strings) encodes in linear time.
struct CompactStringTable {
    private var ranges: [Range<Int>] = []
    private var hashes: [UInt64] = []
    /// Entry index + 1 by full hash; 0 is empty. A power of two, at most half full.
    private var exact = [Int32](repeating: 0, count: 64)
    /// Entry index + 1 of the latest string with a given start, by the start's hash.
    private var byStart = [Int32](repeating: 0, count: 64)

    /// Index of the string equal to `text`, if one was added.
    func find(_ text: UnsafeBufferPointer<UInt8>, hash: UInt64, in input: UnsafeBufferPointer<UInt8>) -> Int? {
        let mask = exact.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while exact[slot] != 0 {
            let index = Int(exact[slot]) - 1
            if hashes[index] == hash, CompactJSON.same(UnsafeBufferPointer(rebasing: input[ranges[index]]), text) { return index }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The latest string that starts with `text`'s first `minimumSharedPrefix` bytes, and
    /// how many bytes the two share.
    func sharedStart(_ text: UnsafeBufferPointer<UInt8>, in input: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        let key = CompactJSON.minimumSharedPrefix
        guard text.count >= key, let index = latest(startingLike: text, in: input) else { return nil }
        let other = UnsafeBufferPointer(rebasing: input[ranges[index]])
        var shared = key
        while shared < text.count, shared < other.count, text[shared] == other[shared] { shared += 1 }
        return (index, shared)
    }

    private func latest(startingLike text: UnsafeBufferPointer<UInt8>, in input: UnsafeBufferPointer<UInt8>) -> Int? {
        let start = UnsafeBufferPointer(rebasing: text[..<CompactJSON.minimumSharedPrefix])
        let mask = byStart.count - 1
        var slot = Int(truncatingIfNeeded: CompactJSON.fnv1a(start)) & mask
        while byStart[slot] != 0 {
            let index = Int(byStart[slot]) - 1
            if CompactJSON.same(UnsafeBufferPointer(rebasing: input[ranges[index].prefix(start.count)]), start) { return index }
            slot = (slot + 1) & mask
        }
        return nil
    }

    mutating func add(_ range: Range<Int>, hash: UInt64, in input: UnsafeBufferPointer<UInt8>) {
        ranges.append(range)
        hashes.append(hash)
        if ranges.count * 2 > exact.count {
            exact = [Int32](repeating: 0, count: exact.count * 2)
            byStart = [Int32](repeating: 0, count: byStart.count * 2)
            for index in ranges.indices { enter(index, in: input) }
        } else {
            enter(ranges.count - 1, in: input)
        }
    }

    /// Enters string `index` in both tables (in order, so a later string with the same
    /// start replaces an earlier one).
    private mutating func enter(_ index: Int, in input: UnsafeBufferPointer<UInt8>) {
        let mask = exact.count - 1
        var slot = Int(truncatingIfNeeded: hashes[index]) & mask
        while exact[slot] != 0 { slot = (slot + 1) & mask }
        exact[slot] = Int32(index + 1)
        let key = CompactJSON.minimumSharedPrefix
        guard ranges[index].count >= key else { return }
        let start = UnsafeBufferPointer(rebasing: input[ranges[index].prefix(key)])
        slot = Int(truncatingIfNeeded: CompactJSON.fnv1a(start)) & mask
        while byStart[slot] != 0 {
            let other = Int(byStart[slot]) - 1
            if CompactJSON.same(UnsafeBufferPointer(rebasing: input[ranges[other].prefix(key)]), start) { break }
            slot = (slot + 1) & mask
        }
        byStart[slot] = Int32(index + 1)
    }
}

/// The bytes the encoder and decoder look for beyond JSON's grammar (HeraldCore's `ASCII`).
extension ASCII {
    /// Bytes of a JSON number or of `true`, `false`, `null`: digits, `+-.`, and letters
    /// (`e`, `E` and the three words'); a token of anything else is not encoded.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "E"): true
        default: false
        }
    }
}
