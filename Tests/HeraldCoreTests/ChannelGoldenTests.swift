import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Every format's request for the seed-example notice, pinned byte for byte in
/// Tests/HeraldCoreTests/Golden/<format>.json (reviewed by eye once). After an
/// intended change, run with HERALD_UPDATE_GOLDEN=1 and review the diff.
struct ChannelGoldenTests {
    static let formats = ["slack", "teams", "discord", "mattermost", "google-chat", "pagerduty", "ntfy", "template"]

    @Test(arguments: formats)
    func requestBodyMatchesTheGoldenFile(_ format: String) throws {
        let request = try ChannelFixture.render(ChannelFixture.notification(), target: format).get()
        let url = Fixtures.url("Tests/HeraldCoreTests/Golden/\(format).json")
        if ProcessInfo.processInfo.environment["HERALD_UPDATE_GOLDEN"] == "1" {
            try (request.body + Data("\n".utf8)).write(to: url)
        }
        let golden = try Data(contentsOf: url)
        #expect(String(decoding: request.body + Data("\n".utf8), as: UTF8.self) == String(decoding: golden, as: UTF8.self))
        #expect(request.contentType == "application/json")
    }

    @Test func theHeadlineReadsAtAGlance() {
        let notice = ChannelNotice(webhookBody: ChannelFixture.body(ChannelFixture.notification(), target: "slack", config: ChannelFixture.loadConfig()))!
        #expect(ChannelMessage.headline(notice) == "[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — escalated from 20%")
    }

    @Test func aResolvedAndAnAcknowledgedNoticeSayWhatHappened() {
        let config = ChannelFixture.loadConfig()
        let resolved = ChannelNotice(webhookBody: ChannelFixture.body(ChannelFixture.notification(.resolved), target: "slack", config: config))!
        #expect(ChannelMessage.headline(resolved) == "[resolved] Utilisation variance for Pat Example (participant p-1001): 31 (below 30%, threshold 30)")
        let acked = ChannelNotice(webhookBody: ChannelFixture.body(ChannelFixture.notification(.acknowledged, actor: "u-adam"), target: "slack", config: config))!
        #expect(ChannelMessage.headline(acked) == "[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — acknowledged by u-adam")
    }

    @Test func theStandardFormatSendsTheStoredBodyUnchanged() throws {
        let config = ChannelFixture.loadConfig(ChannelFixture.config.replacingOccurrences(
            of: #"{"id": "teams", "format": "teams""#, with: #"{"id": "std", "secrets": [{"env": "S"}], "format": "standard""#))
        let n = ChannelFixture.notification()
        let request = try ChannelFixture.render(n, target: "std", config: config).get()
        #expect(request.body == ChannelFixture.body(n, target: "std", config: config))
        #expect(request.idempotencyKey == "msg_0123456789abcdef")
    }
}
