import COpenSSL

/// SHA-256 and constant-time comparison from libcrypto.
///
/// The daemon stores API tokens as SHA-256 hashes and compares them here; webhook
/// signing uses `HMACSHA256`. Both are thin wrappers: the hashing is OpenSSL's.
public enum Digest {
    /// Length of a SHA-256 digest in bytes.
    public static let sha256Length = 32

    /// SHA-256 of `bytes` (EVP one-shot; the low-level `SHA256()` is deprecated in 3.0).
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        withContiguousBytes(bytes) { input in
            var output = [UInt8](repeating: 0, count: sha256Length)
            var written: UInt32 = 0
            let ok = output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &written, EVP_sha256(), nil)
            }
            // EVP_Digest fails only on allocation failure or a missing provider: both
            // mean libcrypto itself is unusable, which is a broken installation.
            precondition(ok == 1 && written == UInt32(sha256Length), "libcrypto SHA-256 unavailable")
            return output
        }
    }

    /// SHA-256 of `bytes` as 64 lower-case hex digits.
    public static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        hex(sha256(bytes))
    }

    /// Compares in time independent of where the bytes differ (`CRYPTO_memcmp`), so a
    /// token check leaks nothing through timing. Different lengths are unequal; the
    /// length of a hash is not a secret.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    /// Lower-case hexadecimal rendering of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Runs `body` over contiguous storage, copying only when the collection has none.
    static func withContiguousBytes<R>(_ bytes: some Collection<UInt8>,
                                       _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }
}
