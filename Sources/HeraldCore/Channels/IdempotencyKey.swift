/// Fits an id (an episode id can be as long as its rule and subject ids) into a
/// receiver's key length without two ids ever sharing a key by accident: ids that fit
/// are used as they are; longer ones keep their start and end in a 128-bit digest.
public enum IdempotencyKey {
    public static func fit(_ id: String, maxLength: Int) -> String {
        guard id.count > maxLength else { return id }
        let digest = hex(fnv1a(id, seed: 0xcbf2_9ce4_8422_2325)) + hex(fnv1a(id, seed: 0x8422_2325_cbf2_9ce4))
        return String(id.prefix(max(0, maxLength - digest.count - 1))) + "~" + digest
    }

    /// FNV-1a over the UTF-8 bytes: not cryptographic, and need not be — the key only
    /// has to tell Herald's own ids apart.
    static func fnv1a(_ text: String, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
