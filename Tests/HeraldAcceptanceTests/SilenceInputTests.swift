import Foundation
import Testing
import HeraldTestKit

/// #17 items 9 and 10: silences name rules that exist, keep every label, and use the
/// safe id alphabet — through the API and the command line.
@Suite(.serialized)
struct SilenceInputTests {
    typealias F = ApiFixture

    static func silence(ruleID: String? = nil, id: String? = nil) -> String {
        var matcher: [String: Any] = ["subjectID": "p-1"]
        if let ruleID { matcher["ruleID"] = ruleID }
        var object: [String: Any] = ["matcher": matcher, "duration": "1h", "author": "ops", "comment": "maintenance"]
        if let id { object["id"] = id }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func theAPIRefusesAnUnknownRuleAndAnUnsafeID() throws {
        let herald = try F.start()
        let typo = try HTTPClient.post(herald.url("/v1/silences"), json: Self.silence(ruleID: "utilisation-varianse"), token: F.writerToken)
        let details = ApiErrorTests.expectError(typo, 422, "invalid_silence")
        #expect(ApiErrorTests.paths(details) == ["matcher.ruleID"])
        #expect(details.first?["message"] as? String == "unknown rule 'utilisation-varianse' (did you mean 'utilisation-variance'?); a silence on it would never match")
        let slash = try HTTPClient.post(herald.url("/v1/silences"), json: Self.silence(id: "team/a"), token: F.writerToken)
        #expect(ApiErrorTests.paths(ApiErrorTests.expectError(slash, 422, "invalid_silence")) == ["id"])
        let good = try HTTPClient.post(herald.url("/v1/silences"), json: Self.silence(ruleID: F.rule, id: "team-a"), token: F.writerToken)
        #expect(good.status == 201)
        #expect(try HTTPClient.send("DELETE", herald.url("/v1/silences/team-a"), token: F.writerToken).status == 200)
        #expect(herald.stop() == 0)
    }

    @Test func theCommandLineChecksTheRuleAndKeepsEveryLabel() throws {
        let herald = try F.start()   // creates the state the CLI works on
        #expect(herald.stop() == 0)
        let state = herald.stateDirectory.path
        let config = Fixtures.url("Config/example.json").path
        let base = ["silences", "add", "--state-dir", state, "--duration", "1h", "--author", "ops", "--comment", "x"]
        let noConfig = try DeliveryKit.cli(base + ["--rule", "utilisation-variance"])
        #expect(noConfig.status == 2)
        #expect(noConfig.error.contains("--rule needs --config FILE"))
        let typo = try DeliveryKit.cli(base + ["--rule", "utilisation-varianse", "--config", config])
        #expect(typo.status == 1)
        #expect(typo.error.contains("unknown rule 'utilisation-varianse' (did you mean 'utilisation-variance'?)"), "\(typo.error)")
        let two = try DeliveryKit.cli(base + ["--id", "two-labels", "--rule", "utilisation-variance", "--config", config,
                                              "--label", "site=north", "--label", "env=.*"])
        #expect(two.status == 0, "\(two.error)")
        let listed = try DeliveryKit.cli(["silences", "list", "--state-dir", state, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
        let silence = (object?["silences"] as? [[String: Any]])?.first
        #expect((silence?["matcher"] as? [String: Any])?["labels"] as? [String: String] == ["site": "north", "env": ".*"])
    }
}
