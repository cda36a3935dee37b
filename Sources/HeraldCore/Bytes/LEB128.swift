/// LEB128 integers: seven bits a byte, low bits first, the high bit set on every byte
/// but the last. Small numbers take one byte. Used by the compact forms Herald keeps in
/// memory (`RuleState+Packed`) and stores (HeraldStore's `CompactJSON`): one reader and
/// one writer for both, so the two cannot drift apart.
public enum LEB128 {
    /// Appends `value` unsigned.
    public static func appendUnsigned(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Appends `value` zigzag-encoded, so small numbers of either sign take one byte.
    public static func appendSigned(_ value: Int, to bytes: inout [UInt8]) {
        appendUnsigned(UInt64(bitPattern: Int64((value << 1) ^ (value >> (Int.bitWidth - 1)))), to: &bytes)
    }

    /// The unsigned number at `position` in `bytes`, moving `position` past it; nil when
    /// the bytes end inside it or it needs more than 64 bits.
    public static func readUnsigned<Bytes: RandomAccessCollection>(_ bytes: Bytes, at position: inout Int) -> UInt64?
        where Bytes.Element == UInt8, Bytes.Index == Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.endIndex, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    /// The zigzag-encoded number at `position` (see `appendSigned`), moving past it.
    public static func readSigned<Bytes: RandomAccessCollection>(_ bytes: Bytes, at position: inout Int) -> Int?
        where Bytes.Element == UInt8, Bytes.Index == Int {
        guard let z = readUnsigned(bytes, at: &position) else { return nil }
        return Int(truncatingIfNeeded: Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
    }
}
