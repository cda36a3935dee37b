import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer

/// The secrets the bridges check requests against, read once per config load (start-up,
/// SIGHUP) from where the config says. Passwords are kept only as SHA-256 digests and
/// compared in constant time, like API tokens.
struct BridgeCredentials: Sendable {
    /// Basic auth of one bridge: the user name and the digest of `user:password`.
    struct Basic: Sendable {
        let username: String
        let digest: [UInt8]
    }

    var basic: [BridgeKind: Basic] = [:]
    /// Grafana's HMAC key, when the config asks for signatures.
    var grafanaHMACKey: [UInt8]?

    static let none = BridgeCredentials()

    init() {}

    /// Reads every bridge secret; throws one line per secret that cannot be read, so
    /// `serve` and `check --secrets` report them all at once.
    init(_ settings: BridgeSettings, reader: SecretReader) throws(SecretProblems) {
        var problems: [String] = []
        func read(_ source: SecretSource, _ place: String) -> String? {
            do {
                return try reader.read(source)
            } catch {
                problems.append("\(place): \(error.message)")
                return nil
            }
        }
        for (kind, auth) in [(BridgeKind.alertmanager, settings.alertmanager.auth), (.grafana, settings.grafana.auth)] {
            guard let basic = auth.basic, let password = read(basic.password, "bridges.\(kind.rawValue).auth.basic.password") else { continue }
            self.basic[kind] = Basic(username: basic.username, digest: Digest.sha256(Array("\(basic.username):\(password)".utf8)))
        }
        if let hmac = settings.grafana.hmac, let secret = read(hmac.secret, "bridges.grafana.hmac.secret") {
            grafanaHMACKey = Array(secret.utf8)
        }
        if !problems.isEmpty { throw SecretProblems(lines: problems) }
    }

    /// Whether `Authorization: Basic …` carries this bridge's user and password.
    func acceptsBasic(_ credentials: String, for kind: BridgeKind) -> Bool? {
        guard let expected = basic[kind] else { return nil }
        guard let decoded = Data(base64Encoded: credentials) else { return false }
        return Digest.constantTimeEquals(expected.digest, Digest.sha256(Array(decoded)))
    }
}
