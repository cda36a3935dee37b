public import Foundation
import HeraldCore

/// A shorter form of the JSON documents the audit log stores, from which the same bytes
/// come back exactly (issue #22: bytes per notice).
///
/// Why: the seed example's notice is ≈ 950 bytes of JSON, most of it the same few member
/// names (`"id":`, `"name":`, `"path":` once per person), strings repeated within the
/// document (the subject in the event and again at the top, `group:manager` per manager,
/// the episode id inside the notice id) and punctuation; it was 70 % of a notice's bytes
/// on disk. This form keeps every string and number as the JSON text had it (escapes and
/// all) and drops what can be rebuilt: `:` and `,`, the quotes, member names from a fixed
/// word list, a string seen before in the document (a reference), a string that starts
/// like one seen before (the shared start and the rest), and a time in the notices' own
/// RFC 3339 form (as milliseconds). Measured on the seed example: 966 → ≈ 400 bytes. A
/// compression library would do a little better but is a new dependency (DESIGN.md).
///
/// Exact by construction: only JSON without whitespace is encoded (what `JSONBytesWriter`
/// and `JSONSerialization` without pretty-printing write), and in such text every `:`
/// and `,` follows from the structure; anything else (whitespace, bytes that are not
/// JSON) is stored as it is. Decoding needs nothing but the bytes and, when the encoder
/// was given one, the `known` string: the audit record's notification id, which every
/// reader of a record has (it is the row's key). It becomes the document's string 0, so
/// the notice's `id` and its episode's (the id's start) cost 6 bytes instead of ≈ 60.
///
/// Stored forms, told apart by the first byte (JSON text never starts with 0x01–0x03):
/// - `0x01` then one item (below): a compact document;
/// - `0x03 c` then one item: a compact document whose string 0 is the known string; `c`
///   is the low byte of the known string's FNV-1a hash, so decoding with another string
///   fails (255 times in 256) instead of showing another record's id;
/// - `0x02` then bytes: bytes kept as they were that themselves start with 0x01–0x03;
/// - anything else: the bytes as they were (every payload written before schema 7).
///
/// Items: `{` members `}` (a member is a string item, then a value item); `[` values `]`;
/// `0x00 n bytes` and `0x40|n bytes` (n < 16) a number, `true`, `false` or `null` as
/// written; `0x01 n bytes` and `0x20|n bytes` (n < 32) a string's text between its quotes;
/// `0x02 i` the i-th string of the document (counting literal, prefixed and time strings);
/// `0x03 i p n bytes` the first p bytes of string i followed by n bytes; `0x04 ms` a time
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`; `0x80|w` word w of `words`. Numbers are unsigned LEB128.
/// The format is stored on disk: never change a tag or a word, only append words.
public enum CompactJSON {
    /// First byte of a compact document.
    static let compactMark: UInt8 = 0x01
    /// First byte of stored bytes that start with a mark themselves, before them.
    static let verbatimMark: UInt8 = 0x02
    /// First byte of a compact document whose string 0 is the known string.
    static let knownMark: UInt8 = 0x03

    enum Tag {
        static let token: UInt8 = 0x00
        static let literal: UInt8 = 0x01
        static let reference: UInt8 = 0x02
        static let prefixed: UInt8 = 0x03
        static let time: UInt8 = 0x04
        /// `0x20 | length` for a string of fewer than 32 bytes.
        static let shortLiteral: UInt8 = 0x20
        static let shortLiteralMax = 31
        /// `0x40 | length` for a token of 1–15 bytes.
        static let shortToken: UInt8 = 0x40
        static let shortTokenMax = 15
        /// `0x80 | index` for a word of `words`.
        static let word: UInt8 = 0x80
    }

    /// Deepest nesting encoded; a deeper document is stored as it is (the notices nest five
    /// levels; the bound keeps the recursive encoder and decoder off the stack's end).
    static let maxDepth = 64

    /// Shortest shared start worth a `0x03` item; also how many bytes key the search for one.
    static let minimumSharedPrefix = 12

    /// Member names and values every notice or operator record carries, as `0x80 | index`.
    /// Stored on disk by index: append only (at most 128).
    static let words: [String] = [
        // Member names of a notice (`NotificationDocument`) and its webhook additions.
        "ack", "actor", "address", "apiURL", "email", "episode", "escalationStep", "event", "excluded",
        "expiresAt", "group", "id", "index", "labels", "metric", "name", "notifiedAt", "number", "occurredAt",
        "path", "phone", "previousTier", "reason", "recipients", "relations", "rule", "subject", "target",
        "threshold", "tier", "timestamp", "token", "transition", "type", "unrouted", "url", "value",
        // Transitions and reasons (`Transition`, `NotificationReason`), an exclusion reason.
        "firing", "escalated", "deescalated", "resolved", "repeated", "acknowledged", "timeout", "manual", "inactive",
        // Operator records (`OperatorAudit`).
        "action", "at", "deadLetter", "silence",
    ]

    /// `words` as bytes.
    static let wordBytes: [[UInt8]] = words.map { Array($0.utf8) }

    /// Word index by FNV-1a hash (open addressing, -1 empty): a lookup per string costs a
    /// mask and a compare, not a `Dictionary`'s hashing again.
    static let wordSlots: [Int8] = {
        var slots = [Int8](repeating: -1, count: wordSlotCount)
        for (index, word) in wordBytes.enumerated() {
            precondition(index < 128, "at most 128 words")
            var slot = Int(truncatingIfNeeded: word.withUnsafeBufferPointer { fnv1a($0) }) & (wordSlotCount - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (wordSlotCount - 1) }
            slots[slot] = Int8(index)
        }
        return slots
    }()
    static let wordSlotCount = 256

    /// The index of the word `text` is, if it is one.
    static func word(_ text: UnsafeBufferPointer<UInt8>, hash: UInt64) -> UInt8? {
        var slot = Int(truncatingIfNeeded: hash) & (wordSlotCount - 1)
        while case let index = wordSlots[slot], index >= 0 {
            if wordBytes[Int(index)].withUnsafeBufferPointer({ same($0, text) }) { return UInt8(index) }
            slot = (slot + 1) & (wordSlotCount - 1)
        }
        return nil
    }

    /// The form to store for `json`: compact when it is JSON without whitespace, else the
    /// bytes as they are (escaped when they start with a mark byte). `known`: a string
    /// the reader will pass to `decode` too (nil or empty: a self-contained document).
    public static func encode(_ json: Data, known: String? = nil) -> Data {
        let knownBytes = Array((known ?? "").utf8)
        let compact: Data? = if knownBytes.isEmpty {
            json.withUnsafeBytes {
                CompactEncoder.encode($0.bindMemory(to: UInt8.self), knownBytes: 0, header: [compactMark])
            }
        } else {
            (knownBytes + json).withUnsafeBufferPointer {
                CompactEncoder.encode($0, knownBytes: knownBytes.count, header: [knownMark, check(knownBytes)])
            }
        }
        if let compact { return compact }
        guard let first = json.first, first == compactMark || first == verbatimMark || first == knownMark else { return json }
        return Data([verbatimMark]) + json
    }

    /// The JSON (or other bytes) `encode` was given; nil when `stored` is a compact
    /// document that does not decode (damaged, never written so) or was encoded with
    /// another `known` string.
    public static func decode(_ stored: Data, known: String? = nil) -> Data? {
        switch stored.first {
        case compactMark?:
            return stored.withUnsafeBytes { CompactDecoder.decode($0.bindMemory(to: UInt8.self), start: 1, known: []) }
        case knownMark?:
            let knownBytes = Array((known ?? "").utf8)
            guard !knownBytes.isEmpty, stored.count > 1, stored[stored.startIndex + 1] == check(knownBytes) else { return nil }
            return stored.withUnsafeBytes { CompactDecoder.decode($0.bindMemory(to: UInt8.self), start: 2, known: knownBytes) }
        case verbatimMark?:
            return Data(stored.dropFirst())
        default:
            return stored
        }
    }

    /// True when `stored` is in a compact form (not bytes kept as they were).
    public static func isCompact(_ stored: Data) -> Bool { stored.first == compactMark || stored.first == knownMark }

    /// The check byte of a known string.
    static func check(_ known: [UInt8]) -> UInt8 {
        UInt8(truncatingIfNeeded: known.withUnsafeBufferPointer { fnv1a($0) })
    }

    /// 64-bit FNV-1a: short strings hash in a few nanoseconds per byte, no allocation.
    @inline(__always)
    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in 0..<bytes.count { hash = (hash ^ UInt64(bytes[index])) &* 0x100_0000_01b3 }
        return hash
    }

    /// Byte-wise equality (`memcmp`).
    @inline(__always)
    static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }
}
