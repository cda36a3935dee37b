import Foundation
import Testing
import HeraldTestKit

/// `herald check`, `herald explain` and help, run as an operator would.
struct CommandLineTests {
    @Test func checkAcceptsTheExampleWithASummary() throws {
        let result = try CommandRunner.herald(["check", "--config", Fixtures.url("Config/example.json").path])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("ok: 9 users, 3 roles, 2 custom groups, 1 rules, 1 targets, 6 rights\n"))
        #expect(result.stderr.isEmpty)
    }

    @Test func checkRefusesABrokenConfigWithEveryErrorAndItsPlace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-broken-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        {
          "users": [{"id": "o", "owner": true, "groups": ["nope"]}],
          "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 5, "notify": [{"role": "admn"}]}, {"threshold": 1, "notify": [{"owner": true}]}]}]
        }
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandRunner.herald(["check", "--config", file.path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines == [
            "\(file.path):2:51: undefined group 'nope' at users[0].groups[0]",
            "\(file.path):3:79: undefined role 'admn' (did you mean 'admin'?) at rules[0].tiers[0].notify[0].role",
            "\(file.path):3:99: threshold 1 must be above the previous tier's 5 (tiers go from least to most severe) at rules[0].tiers[1].threshold",
            "\(file.path): 3 errors",
        ])
    }

    @Test func checkJSONIsMachineReadable() throws {
        let result = try CommandRunner.herald(["check", "--config", Fixtures.url("Config/example.json").path, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["ok"] as? Bool == true)
        #expect((object?["issues"] as? [Any])?.isEmpty == true)
    }

    @Test func explainShowsTheSeedSequence() throws {
        let result = try CommandRunner.herald(["explain", "--config", Fixtures.url("Config/example.json").path,
                                               "--event", Fixtures.url("Config/example-events.json").path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("firing (tier 10%, episode 1"))
        #expect(result.stdout.contains("notify Chloe Clarke <u-chloe> via relation:primary_coordinator"))
        #expect(result.stdout.contains("notify Rita Rossi <u-rita> via group:sc-managers → group:regional-leads"))
        #expect(result.stdout.contains("escalated (tier 30%, episode 1"))
        #expect(result.stdout.contains("resolved (tier 10%, episode 1"))
    }

    /// `explain --json` names per recipient the targets and formats, like the text form.
    @Test func explainJSONCarriesTheRoutes() throws {
        let event = #"{"metric": "utilisation_variance", "value": 31, "subject": {"id": "p-1001"}, "relations": {"primary_coordinator": "u-chloe"}}"#
        let result = try CommandRunner.herald(["explain", "--config", Fixtures.url("Config/examples/channels.json").path,
                                               "--event", "-", "--json"], stdin: Data(event.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let rules = ((object?["steps"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]]) ?? []
        let routes = rules.flatMap { (($0["notifications"] as? [[String: Any]]) ?? []).flatMap { ($0["routes"] as? [[String: Any]]) ?? [] } }
        let chloe = try #require(routes.first { $0["user"] as? String == "u-chloe" })
        #expect(chloe["targets"] as? [[String: String]] == [["target": "coordinator-phone", "format": "ntfy"]])
        #expect(routes.contains { ($0["targets"] as? [[String: String]])?.contains(["target": "pagerduty", "format": "pagerduty"]) == true })
    }

    @Test func explainReadsStdinAndKeepsStateAcrossRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state.json").path
        let config = Fixtures.url("Config/example.json").path
        let first = #"{"metric": "utilisation_variance", "value": 12, "subject": {"id": "p-9"}, "timestamp": "2026-11-23T09:00:00Z"}"#
        let run1 = try CommandRunner.herald(["explain", "--config", config, "--event", "-", "--save-state", state], stdin: Data(first.utf8))
        #expect(run1.status == 0)
        #expect(run1.stdout.contains("firing"))
        // The same tier again, from the saved state: no new notice.
        let second = #"{"metric": "utilisation_variance", "value": 13, "subject": {"id": "p-9"}, "timestamp": "2026-11-23T09:05:00Z"}"#
        let run2 = try CommandRunner.herald(["explain", "--config", config, "--event", "-", "--state", state, "--json"], stdin: Data(second.utf8))
        let object = try JSONSerialization.jsonObject(with: Data(run2.stdout.utf8)) as? [String: Any]
        let rules = ((object?["steps"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]]) ?? []
        #expect(rules.first?["status"] as? String == "unchanged")
        #expect((rules.first?["notifications"] as? [Any])?.isEmpty == true)
    }

    @Test func helpIsAvailableForEveryCommand() throws {
        for command in ["check", "explain", "serve", "dead-letters"] {
            let result = try CommandRunner.herald([command, "--help"])
            #expect(result.status == 0)
            #expect(result.stdout.hasPrefix("usage: herald \(command)"))
        }
        let top = try CommandRunner.herald(["--help"])
        #expect(top.stdout.contains("serve") && top.stdout.contains("explain"))
        let wrong = try CommandRunner.herald(["check", "--confg", "x"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.hasPrefix("herald check: unknown option '--confg'"))
    }
}
