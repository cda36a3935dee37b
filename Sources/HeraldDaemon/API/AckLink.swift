import Foundation
import HeraldCore
import HeraldDelivery

/// The acknowledgement link a webhook carries for each recipient: a token a chat or SMS
/// gateway can POST back to `/v1/episodes/ack-link` with no API token, acting as that
/// person on that episode until the token expires.
///
/// Token: `base64url("<episode>|<user>|<expiry unix seconds>") "." base64url(HMAC-SHA256(key, first part))`.
///
/// The key is derived from the target's webhook signing secret
/// (`HMAC-SHA256(secret, "herald ack link v1")`): the gateway that receives a webhook
/// already shares that secret with Herald, no new secret has to be configured, and the
/// derivation keeps the two uses apart (a webhook signature is never a valid ack token).
/// A token is signed with the first secret of the target it is sent to; verification
/// accepts every configured secret of every target, so a rotation (two secrets) keeps
/// tokens already sent working.
struct AckLinkSigner: Sendable {
    /// How long a link stays valid after its message is sent: a person may answer a
    /// page the next morning; a week-old link acting on a long-over episode is refused
    /// anyway (`episode_ended`), so this only bounds how long a leaked token is useful.
    static let lifetime: TimeInterval = 24 * 3600
    /// Longest token accepted: episode ids are bounded by the subject and rule id limits
    /// (512 bytes each, escaped at most ×3), so a real token is far shorter.
    static let maxTokenBytes = 8192
    /// Where gateways send tokens back (relative to Herald's public URL).
    static let path = "/v1/episodes/ack-link"
    /// Where a person opens the acknowledge page: `<publicURL>/ack/<token>`.
    static let pagePrefix = "/ack/"
    /// Separates the derived keys from the webhook signatures made with the same secret.
    static let derivationLabel = Array("herald ack link v1".utf8)

    /// Target id → signing key (derived from the target's first secret).
    private let signingKeys: [String: [UInt8]]
    /// Every derived key that may have signed a live token.
    private let verifyingKeys: [[UInt8]]

    /// `secretKeys`: target id → the decoded key bytes of its secrets, first = current.
    init(secretKeys: [String: [[UInt8]]]) {
        let derived = secretKeys.mapValues { $0.map { HMACSHA256.authenticate(Self.derivationLabel, key: $0) } }
        signingKeys = derived.compactMapValues(\.first)
        verifyingKeys = derived.keys.sorted().flatMap { derived[$0] ?? [] }
    }

    static let none = AckLinkSigner(secretKeys: [:])

    /// A token for `user` on `episode` valid until `expiresAt`, signed for `target`; nil
    /// when the target has no secret (cannot happen for a validated config).
    func token(episode: String, user: String, expiresAt: Date, target: String) -> String? {
        guard let key = signingKeys[target] else { return nil }
        let claims = Self.base64URL(Array("\(episode)|\(user)|\(Int64(expiresAt.timeIntervalSince1970.rounded(.down)))".utf8))
        return claims + "." + Self.base64URL(HMACSHA256.authenticate(Array(claims.utf8), key: key))
    }

    /// What a valid token says.
    struct Claims: Equatable {
        let episode: String
        let user: String
        let expiresAt: Date
    }

    /// Why a token is refused: `forged` (bad signature or shape, 403) or `expired` (410).
    enum Refusal: Error, Equatable {
        case forged
        case expired(Claims)
    }

    /// Checks the signature against every key (no early exit), then the expiry.
    func verify(_ token: String, now: Date) -> Result<Claims, Refusal> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= Self.maxTokenBytes, parts.count == 2,
              let mac = Self.bytes(base64URL: String(parts[1])), let claimBytes = Self.bytes(base64URL: String(parts[0])) else {
            return .failure(.forged)
        }
        var valid = false
        for key in verifyingKeys where Digest.constantTimeEquals(HMACSHA256.authenticate(Array(parts[0].utf8), key: key), mac) {
            valid = true
        }
        guard valid, let claims = Self.claims(String(decoding: claimBytes, as: UTF8.self)) else { return .failure(.forged) }
        return claims.expiresAt > now ? .success(claims) : .failure(.expired(claims))
    }

    /// `episode|user|expiry`, split from the right: episode ids may contain `|` (subject
    /// ids are free text), user ids and numbers do not.
    private static func claims(_ text: String) -> Claims? {
        let parts = text.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 3, let seconds = Int64(parts[parts.count - 1]) else { return nil }
        let user = String(parts[parts.count - 2])
        let episode = parts.dropLast(2).joined(separator: "|")
        guard !user.isEmpty, !episode.isEmpty else { return nil }
        return Claims(episode: episode, user: user, expiresAt: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Base64 with the URL alphabet and no padding. The three characters are swapped on
    /// the bytes: three `replacingOccurrences` (ICU-backed on Linux) cost more than the
    /// HMAC itself on every webhook that carries links.
    static func base64URL(_ bytes: [UInt8]) -> String {
        // Iterated as a String's UTF-8 view (contiguous): `Data`'s iterator was slower
        // than the encoding itself.
        let standard = Data(bytes).base64EncodedString()
        var url = [UInt8]()
        url.reserveCapacity(standard.utf8.count)
        for byte in standard.utf8 {
            switch byte {
            case UInt8(ascii: "+"): url.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): url.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: url.append(byte)
            }
        }
        return String(decoding: url, as: UTF8.self)
    }

    static func bytes(base64URL text: String) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

/// Adds ack links to a webhook body built by the core's `WebhookPayload`.
enum AckLinkPayload {
    /// Notices after which nobody can take the episode on: no link.
    static func offersLink(_ transition: Transition) -> Bool {
        transition != .resolved && transition != .acknowledged
    }

    /// The link for one person on one delivery, or nil when the notice offers none
    /// (after `resolved` and `acknowledged` nobody can take the episode on).
    static func link(for user: String, notification: HeraldCore.Notification, delivery: PlannedDelivery,
                     signer: AckLinkSigner, publicURL: String, sendAt: Date) -> AckLink? {
        link(for: user, episodeID: notification.episodeID, transition: notification.transition, target: delivery.target,
             signer: signer, publicURL: publicURL, sendAt: sendAt)
    }

    /// The same link from what a stored notice says (a body written at send time).
    static func link(for user: String, episodeID: String, transition: Transition, target: String,
                     signer: AckLinkSigner, publicURL: String, sendAt: Date) -> AckLink? {
        guard offersLink(transition) else { return nil }
        // Whole seconds, as the token carries it, so `expiresAt` says exactly what is checked.
        let expiresAt = Date(timeIntervalSince1970: sendAt.addingTimeInterval(AckLinkSigner.lifetime).timeIntervalSince1970.rounded(.down))
        return signer.token(episode: episodeID, user: user, expiresAt: expiresAt, target: target).map {
            AckLink(token: $0, expiresAt: NotificationJSON.timestamp(expiresAt), url: publicURL + AckLinkSigner.pagePrefix + $0,
                    apiURL: publicURL + AckLinkSigner.path)
        }
    }
}
