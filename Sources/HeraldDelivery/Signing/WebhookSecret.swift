import Foundation

/// A Standard Webhooks signing secret, written `whsec_<base64 key>` in the config.
///
/// The key bytes never appear in `description`, errors or logs: printing a secret by
/// accident (a log line, a failed test's diff) would leak it to whoever reads them.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Prefix that marks a Standard Webhooks secret.
    public static let prefix = "whsec_"
    /// Shortest key accepted: the spec asks for at least 24 bytes of key material.
    public static let minimumKeyBytes = 24
    /// Longest key accepted: the spec's upper bound, 64 bytes (one SHA-256 block).
    public static let maximumKeyBytes = 64

    /// The decoded key bytes used as the HMAC key; internal so only the signer sees them.
    let key: [UInt8]

    /// Parses `whsec_<base64>`; throws `WebhookSecretError` naming what is wrong, never the value.
    public init(parsing text: String) throws(WebhookSecretError) {
        guard text.hasPrefix(Self.prefix) else { throw .missingPrefix }
        let encoded = String(text.dropFirst(Self.prefix.count))
        guard !encoded.isEmpty, let decoded = Data(base64Encoded: encoded) else { throw .invalidBase64 }
        guard decoded.count >= Self.minimumKeyBytes, decoded.count <= Self.maximumKeyBytes else {
            throw .keyLength(decoded.count)
        }
        self.key = Array(decoded)
    }

    /// Redacted: shows only that a secret is set.
    public var description: String { "whsec_<redacted>" }
    public var debugDescription: String { description }
    /// `dump()` and debuggers read stored properties through the mirror: show none.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Why a webhook secret was refused. `code` is stable (log key, config error code);
/// no case carries the secret text.
public enum WebhookSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value does not start with `whsec_`.
    case missingPrefix
    /// The part after `whsec_` is empty or not valid base64.
    case invalidBase64
    /// The decoded key has this many bytes, outside 24...64.
    case keyLength(Int)

    public var code: String {
        switch self {
        case .missingPrefix: "secret_missing_prefix"
        case .invalidBase64: "secret_invalid_base64"
        case .keyLength: "secret_key_length"
        }
    }

    public var description: String {
        switch self {
        case .missingPrefix:
            "webhook secret must start with 'whsec_'"
        case .invalidBase64:
            "webhook secret after 'whsec_' must be non-empty base64"
        case .keyLength(let count):
            "webhook secret key must decode to \(WebhookSecret.minimumKeyBytes)...\(WebhookSecret.maximumKeyBytes) bytes, got \(count)"
        }
    }
}
