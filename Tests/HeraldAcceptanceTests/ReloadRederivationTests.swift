import Foundation
import Testing
import HeraldTestKit

/// #17 item 1 against the real binary: lowering a threshold under a running episode and
/// reloading must not swallow the climb into the tier whose audience was never told;
/// the reload logs and counts the episode it re-derives.
@Suite(.serialized)
struct ReloadRederivationTests {
    static let token = "rederive-writer-token-51c9"

    static func config(high: Int) -> String {
        """
        {"users": [{"id": "o", "name": "Owner", "owner": true}, {"id": "h", "name": "High"}],
         "rules": [{"id": "r", "metric": "m", "tiers": [
             {"name": "elevated", "threshold": 10, "notify": [{"owner": true}]},
             {"name": "high", "threshold": \(high), "notify": [{"user": "h"}]}]}],
         "server": {"tokens": [{"id": "w", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}]}}
        """
    }

    static func post(_ herald: HeraldProcess, _ value: Int) throws -> HTTPClient.Response {
        try HTTPClient.post(herald.url("/v1/events"), json: #"{"metric": "m", "value": \#(value), "subject": {"id": "s-1"}}"#, token: token)
    }

    @Test func loweredThresholdAfterReloadStillTellsTheHigherTier() throws {
        let herald = try HeraldProcess(config: Self.config(high: 20), environment: ["HERALD_TOKEN": Self.token])
        #expect(try Self.post(herald, 12).json["notifications"] as? Int == 1)
        #expect(try ApiFixture.metrics(herald)["herald_reload_rederived_states_total"] ?? 0 == 0)

        try herald.writeConfig(Self.config(high: 18))
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("msg=\"config reloaded\""))
        #expect(try ApiFixture.metrics(herald)["herald_reload_rederived_states_total"] == 1)
        #expect(herald.logText().contains("tiers changed under a running episode"))

        let climbed = try Self.post(herald, 25)
        #expect(climbed.status == 202)
        #expect(climbed.json["notifications"] as? Int == 1, "the move to 'high' must tell its audience")
        let audit = try HTTPClient.get(herald.url("/v1/notifications?subject=s-1"), token: Self.token)
        let entries = audit.json["notifications"] as? [[String: Any]] ?? []
        let newest = try #require(entries.first)
        #expect(newest["transition"] as? String == "escalated")
        #expect((newest["recipients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["h"])
        #expect(herald.stop() == 0)
    }
}
