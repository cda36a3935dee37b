import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer

/// Who may post to a bridge, checked before the body is read: HTTP basic auth when the
/// bridge configures it (Alertmanager's `basic_auth`, Grafana's basic auth user), else a
/// bearer token with the bridge's scope. Then, for Grafana, its HMAC signature.
struct BridgeAuthentication {
    let kind: BridgeKind
    let runtime: RuntimeConfig

    private var auth: BridgeAuth {
        kind == .alertmanager ? runtime.config.bridges.alertmanager.auth : runtime.config.bridges.grafana.auth
    }

    /// nil when the request may go on; else the 401/403 to send.
    func check(_ request: HTTPRequest) -> HTTPResponse? {
        if let header = request.header("authorization"), header.prefix(6).lowercased() == "basic " {
            let credentials = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
            switch runtime.bridges.acceptsBasic(credentials, for: kind) {
            case true?:
                return nil
            case false?:
                return .error(status: 401, code: "invalid_credentials", message: "basic auth user or password is not recognised",
                              headers: [("WWW-Authenticate", "Basic realm=\"\(BearerAuthentication.realm)\"")])
            case nil:
                return .error(status: 401, code: "malformed_authorization",
                              message: "basic auth is not configured for the \(kind.rawValue) bridge; send 'Bearer <token>'",
                              headers: [("WWW-Authenticate", "Bearer realm=\"\(BearerAuthentication.realm)\"")])
            }
        }
        return BearerAuthentication(verifier: runtime.tokens).check(request, requiring: auth.scope.rawValue)
    }
}

/// Grafana's HMAC signature (`hmacConfig` of its webhook contact point): lower-case hex
/// HMAC-SHA256, under the shared secret, of `<timestamp>:<body>` — or of the body alone
/// when no timestamp header is configured.
struct GrafanaSignature {
    let settings: GrafanaHMAC
    let key: [UInt8]

    /// nil when the signature is right and (with a timestamp) recent; else a 401.
    func check(_ request: HTTPRequest, now: Date) -> HTTPResponse? {
        let names = settings.signatureHeaders
        guard let signature = names.lazy.compactMap({ request.header($0) }).first else {
            return Self.refuse("missing_signature", "the request has no \(names.joined(separator: " or ")) header; the grafana bridge requires an HMAC signature")
        }
        var message: [UInt8] = []
        if let timestampHeader = settings.timestampHeader {
            guard let text = request.header(timestampHeader), let seconds = Double(text), seconds.isFinite else {
                return Self.refuse("missing_signature", "the request has no Unix time in its \(timestampHeader) header")
            }
            guard abs(now.timeIntervalSince1970 - seconds) <= settings.tolerance.seconds else {
                return Self.refuse("stale_signature", "the signed time is more than \(settings.tolerance) from Herald's clock; check the sender's clock")
            }
            message = Array("\(text):".utf8)
        }
        message.append(contentsOf: request.body)
        let expected = HMACSHA256.authenticate(message, key: key)
        guard let presented = Self.bytes(hex: signature.trimmingCharacters(in: .whitespaces)),
              Digest.constantTimeEquals(expected, presented) else {
            return Self.refuse("invalid_signature", "the HMAC signature does not match the body; check the contact point's secret")
        }
        return nil
    }

    /// Hex digits to bytes; nil for anything else (so a malformed signature is just wrong).
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == HMACSHA256.length * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(HMACSHA256.length)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func refuse(_ code: String, _ message: String) -> HTTPResponse {
        .error(status: 401, code: code, message: message)
    }
}
