import Foundation
import Testing
@testable import HeraldDaemon

/// Ack tokens travel in URLs: the URL-safe base64 must round-trip every byte value,
/// and a token must verify only unchanged, with a known key, before it expires.
struct AckLinkSignerTests {
    @Test func base64URLUsesTheURLAlphabetWithoutPaddingAndRoundTrips() {
        // 0xfb 0xff 0xbf encodes to "+/+/" in standard base64.
        #expect(AckLinkSigner.base64URL([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(AckLinkSigner.base64URL(Array("a".utf8)) == "YQ")
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            let text = AckLinkSigner.base64URL(bytes)
            #expect(!text.contains("+") && !text.contains("/") && !text.contains("="))
            if length > 0 { #expect(AckLinkSigner.bytes(base64URL: text) == bytes) }
        }
    }

    @Test func aTokenVerifiesUntilItExpiresAndNotWhenAltered() throws {
        let signer = AckLinkSigner(secretKeys: ["pager": [Array("k1".utf8)]])
        let expiry = Date(timeIntervalSince1970: 2_000_000_000)
        let token = try #require(signer.token(episode: "rule/p|1@5", user: "u7", expiresAt: expiry, target: "pager"))
        #expect(signer.verify(token, now: expiry.addingTimeInterval(-1)) ==
                .success(.init(episode: "rule/p|1@5", user: "u7", expiresAt: expiry)))
        guard case .failure(.expired) = signer.verify(token, now: expiry) else { Issue.record("expected expired"); return }
        var altered = Array(token)
        altered[2] = altered[2] == "A" ? "B" : "A"
        #expect(signer.verify(String(altered), now: expiry.addingTimeInterval(-1)) == .failure(.forged))
        let other = AckLinkSigner(secretKeys: ["pager": [Array("k2".utf8)]])
        #expect(other.verify(token, now: expiry.addingTimeInterval(-1)) == .failure(.forged))
    }
}
