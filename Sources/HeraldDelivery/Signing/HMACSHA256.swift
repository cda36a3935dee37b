import COpenSSL

/// HMAC-SHA256 from libcrypto, the MAC of Standard Webhooks signatures.
public enum HMACSHA256 {
    /// Length of the MAC in bytes.
    public static let length = 32

    /// MAC of `message` under `key` (OpenSSL's one-shot `HMAC`; the body is small, so one
    /// contiguous message is simpler than streaming through an `EVP_MAC_CTX`).
    public static func authenticate(_ message: some Collection<UInt8>, key: [UInt8]) -> [UInt8] {
        Digest.withContiguousBytes(message) { input in
            var output = [UInt8](repeating: 0, count: length)
            var written: UInt32 = 0
            // An empty key is valid HMAC (zero padding); OpenSSL wants a non-NULL pointer for it.
            let keyStorage = key.isEmpty ? [0] : key
            let result = keyStorage.withUnsafeBytes { keyBytes in
                output.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                         input.baseAddress, input.count, out.baseAddress, &written)
                }
            }
            // HMAC fails only when libcrypto cannot allocate or lacks SHA-256.
            precondition(result != nil && written == UInt32(length), "libcrypto HMAC-SHA256 unavailable")
            return output
        }
    }
}
