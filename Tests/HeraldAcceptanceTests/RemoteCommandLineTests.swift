import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// `herald episodes`, `herald dead-letters` and `herald silences` against a running daemon (`--url`),
    /// as an operator would use them from another machine.
    @Suite struct RemoteCLI {
        typealias K = EscalationKit

        @Test func listAndAcknowledgeAnEpisodeWithoutKnowingItsIdFirst() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            try K.post(herald, value: 35, subject: "p-cli")
            _ = try #require(K.waitForWebhook(receiver, subject: "p-cli", transition: "firing"))
            let url = "http://127.0.0.1:\(herald.port)"
            let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("herald-token-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: tokenFile) }
            try (K.writerToken + "\n").write(to: tokenFile, atomically: true, encoding: .utf8)

            let list = try CommandRunner.herald(["episodes", "list", "--url", url, "--token-file", tokenFile.path])
            #expect(list.status == 0, "\(list.stderr)")
            let lines = list.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("STATE  RULE                  SUBJECT  TIER") == true, "\(list.stdout)")
            let row = try #require(lines.first { $0.contains("p-cli") })
            #expect(row.hasPrefix("open   utilisation-variance  p-cli    30%"))
            let episode = try #require(row.split(separator: " ").last.map(String.init))

            // The token from the environment; as a named person (ack scope).
            let ack = try CommandRunner.herald(["episodes", "ack", episode, "--user", "u-adam", "--url", url],
                                               environment: ["HERALD_TOKEN": K.ackToken])
            #expect(ack.status == 0, "\(ack.stderr)")
            #expect(ack.stdout == "acknowledge done by u-adam; acknowledged by u-adam\n")
            let json = try CommandRunner.herald(["episodes", "list", "--state", "acknowledged", "--json", "--url", url],
                                                environment: ["HERALD_TOKEN": K.writerToken])
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect((object?["episodes"] as? [[String: Any]])?.first?["acknowledgedBy"] as? String == "u-adam")
            // The API's refusal, named, exit 1.
            let again = try CommandRunner.herald(["episodes", "ack", episode, "--user", "u-olivia", "--url", url],
                                                 environment: ["HERALD_TOKEN": K.ackToken])
            #expect(again.status == 1)
            #expect(again.stderr.hasPrefix("herald episodes: ") && again.stderr.contains("(already_acknowledged, HTTP 409)"))
            let noToken = try CommandRunner.herald(["episodes", "list", "--url", url], environment: ["HERALD_TOKEN": ""])
            #expect(noToken.status == 2)
            #expect(noToken.stderr.contains("--url needs a token"))
            let remoteDead = try CommandRunner.herald(["dead-letters", "list", "--url", url], environment: ["HERALD_TOKEN": K.writerToken])
            #expect(remoteDead.status == 0, "\(remoteDead.stderr)")

            // Silences through the API: add, see it listed, expire it.
            let env = ["HERALD_TOKEN": K.writerToken]
            let add = try CommandRunner.herald(["silences", "add", "--id", "cli-s1", "--rule", K.rule, "--subject", "p-cli",
                                                "--duration", "1h", "--author", "ops", "--comment", "maintenance", "--url", url], environment: env)
            #expect(add.status == 0, "\(add.stderr)")
            #expect(add.stdout.hasPrefix("added silence cli-s1 until "))
            let silences = try CommandRunner.herald(["silences", "list", "--url", url], environment: env)
            #expect(silences.stdout.hasPrefix("ID      STATUS  ENDS"), "\(silences.stdout)")
            #expect(silences.stdout.contains("cli-s1  active"))
            let expire = try CommandRunner.herald(["silences", "expire", "cli-s1", "--url", url], environment: env)
            #expect(expire.stdout == "expired cli-s1\n", "\(expire.stderr)")
            #expect(try CommandRunner.herald(["silences", "list", "--url", url], environment: env).stdout == "no silences\n")
            // Delete for good (DELETE ?purge=true): gone even from --all; a second time is the API's 404.
            let delete = try CommandRunner.herald(["silences", "delete", "cli-s1", "--url", url], environment: env)
            #expect(delete.status == 0 && delete.stdout == "deleted silence cli-s1\n", "\(delete.stderr)")
            #expect(try CommandRunner.herald(["silences", "list", "--all", "--url", url], environment: env).stdout == "no silences\n")
            let deleteAgain = try CommandRunner.herald(["silences", "delete", "cli-s1", "--url", url], environment: env)
            #expect(deleteAgain.status == 1 && deleteAgain.stderr.contains("(unknown_silence, HTTP 404)"), "\(deleteAgain.stderr)")
            let notAdmin = try CommandRunner.herald(["silences", "delete", "cli-s1", "--url", url], environment: ["HERALD_TOKEN": K.ackToken])
            #expect(notAdmin.status == 1 && notAdmin.stderr.contains("(insufficient_scope, HTTP 403)"), "\(notAdmin.stderr)")
            // Each change is in the audit log with the token that made it, newest first.
            let changes = try K.audit(herald, subject: "p-cli").compactMap { entry -> String? in
                guard entry["silence"] != nil else { return nil }
                return "\(entry["action"] as? String ?? "?") \(entry["actor"] as? String ?? "?")"
            }
            #expect(changes == ["delete-silence operator:writer", "expire-silence operator:writer", "silence operator:writer"])
            #expect(herald.stop() == 0)
        }
    }
}
