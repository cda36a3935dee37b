public import Foundation

/// Signs webhook bodies per the Standard Webhooks specification.
///
/// The signed content is `"<webhook-id>.<webhook-timestamp>.<body>"`; the header value
/// is `v1,<base64 HMAC-SHA256>` per active secret, separated by spaces, so a receiver
/// that knows either the old or the new secret verifies during a rotation.
public struct WebhookSigner: Sendable {
    /// Signature scheme version tag defined by the spec (symmetric HMAC-SHA256).
    public static let versionTag = "v1"

    /// The active secrets, newest first by convention; at least one.
    public let secrets: [WebhookSecret]

    /// `secrets` must not be empty: an unsigned webhook is a configuration error the
    /// config validation rejects before any job is built.
    public init(secrets: [WebhookSecret]) {
        precondition(!secrets.isEmpty, "a webhook target needs at least one secret")
        self.secrets = secrets
    }

    /// The `webhook-signature` header value for this message.
    public func sign(id: String, timestamp: Int, body: Data) -> String {
        let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
        return secrets
            .map { "\(Self.versionTag)," + Data(HMACSHA256.authenticate(content, key: $0.key)).base64EncodedString() }
            .joined(separator: " ")
    }

    /// The bytes the spec signs: `id.timestamp.body`, body bytes unchanged.
    static func signedContent(id: String, timestamp: Int, body: Data) -> [UInt8] {
        var content = [UInt8]()
        content.reserveCapacity(id.utf8.count + 24 + body.count)
        content.append(contentsOf: id.utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: String(timestamp).utf8)
        content.append(UInt8(ascii: "."))
        content.append(contentsOf: body)
        return content
    }
}
