public import Foundation

/// Cross-site request forgery protection for forms (OWASP's HMAC-based synchronizer
/// token): a form carries `HMAC(key, purpose "\n" binding)` in a hidden field, and its
/// POST is accepted only with the token for the same binding — the ack token on the
/// acknowledge page, the session id in the operator UI. Another site can make a
/// browser post, but cannot read or compute the token.
///
/// The key is random per daemon start: a form opened before a restart is refused with
/// a page saying to reload it, and nothing has to be configured or stored.
public struct FormToken: Sendable {
    /// The hidden field's name.
    public static let field = "csrf"

    /// HMAC-SHA256 supplied by the daemon (libcrypto lives in HeraldDelivery).
    public typealias MAC = @Sendable (_ message: [UInt8], _ key: [UInt8]) -> [UInt8]

    private let key: [UInt8]
    private let mac: MAC

    public init(key: [UInt8], mac: @escaping MAC) {
        self.key = key
        self.mac = mac
    }

    /// The token for `binding` used for `purpose` (e.g. "ack", "ui").
    public func token(purpose: String, binding: String) -> String {
        Data(mac(Array("\(purpose)\n\(binding)".utf8), key)).base64EncodedString()
    }

    /// Whether `candidate` is the token for `binding`; compared in constant time.
    public func verify(_ candidate: String?, purpose: String, binding: String) -> Bool {
        guard let candidate else { return false }
        let expected = Array(token(purpose: purpose, binding: binding).utf8)
        let given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    /// 32 random bytes from the system's secure generator (getrandom on Linux).
    public static func randomKey() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
