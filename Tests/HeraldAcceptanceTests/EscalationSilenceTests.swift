import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// Silences through the API: validated (422 naming the field), listed, applied at
    /// once; a silenced notice is in the audit log as suppressed with the silence id and
    /// never delivered; expiring the silence lets the next notice through.
    @Suite struct Silences {
        typealias K = EscalationKit

        func postSilence(_ herald: HeraldProcess, _ body: [String: Any], token: String = K.writerToken) throws -> HTTPClient.Response {
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            return try HTTPClient.post(herald.url("/v1/silences"), json: json, token: token)
        }

        @Test func aSilenceSuppressesAndRecordsAndExpiringItLetsNoticesThrough() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "1h"))

            let empty = try postSilence(herald, ["matcher": [:] as [String: Any], "duration": "1h", "author": "ops", "comment": "c"])
            #expect(empty.status == 422)
            #expect((empty.json["details"] as? [[String: Any]])?.first?["path"] as? String == "matcher")
            let noEnd = try postSilence(herald, ["matcher": ["subjectID": "p-quiet"], "author": "ops", "comment": "c"])
            #expect((noEnd.json["details"] as? [[String: Any]])?.first?["path"] as? String == "endsAt")
            #expect(try postSilence(herald, ["matcher": ["subjectID": "p-quiet"], "duration": "1h", "author": "a", "comment": "c"],
                                    token: K.ackToken).status == 403, "silences need the admin scope")

            let created = try postSilence(herald, ["id": "maint-1", "matcher": ["ruleID": K.rule, "subjectID": "p-quiet"],
                                                   "duration": "1h", "author": "ops", "comment": "planned maintenance"])
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["status"] as? String == "active")
            #expect(try postSilence(herald, ["id": "maint-1", "matcher": ["subjectID": "x"], "duration": "1h",
                                             "author": "ops", "comment": "c"]).status == 409)
            let listed = try HTTPClient.get(herald.url("/v1/silences"), token: K.ackToken)
            #expect((listed.json["silences"] as? [[String: Any]])?.map { $0["id"] as? String } == ["maint-1"])

            try K.post(herald, value: 35, subject: "p-quiet")
            try K.post(herald, value: 35, subject: "p-loud")
            // The unsilenced subject is delivered; by then the silenced one would have been too.
            #expect(K.waitForWebhook(receiver, subject: "p-loud", transition: "firing") != nil)
            Thread.sleep(forTimeInterval: 0.5)
            #expect(K.webhooks(receiver, subject: "p-quiet").isEmpty)
            // Newest first: the held notice, then the silence itself (made by the writer token).
            let audit = try K.audit(herald, subject: "p-quiet")
            #expect(audit.count == 2)
            #expect(audit.first?["transition"] as? String == "firing")
            #expect(audit.first?["suppressedBy"] as? String == "maint-1")
            #expect(audit.last?["action"] as? String == "silence" && audit.last?["actor"] as? String == "operator:writer")
            #expect((audit.last?["silence"] as? [String: Any])?["id"] as? String == "maint-1")
            #expect(try K.audit(herald, subject: "p-loud").first?["suppressedBy"] == nil)

            let expired = try HTTPClient.send("DELETE", herald.url("/v1/silences/maint-1"), token: K.writerToken)
            #expect(expired.status == 200)
            #expect(expired.json["status"] as? String == "expired")
            #expect(try HTTPClient.send("DELETE", herald.url("/v1/silences/nope"), token: K.writerToken).status == 404)
            // The episode goes on: resolving it is a notice the silence no longer holds.
            try K.post(herald, value: 0, subject: "p-quiet")
            #expect(K.waitForWebhook(receiver, subject: "p-quiet", transition: "resolved") != nil)
            #expect(herald.stop() == 0)
        }

        @Test func theCommandLineManagesSilencesInTheStore() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "1h"))
            #expect(herald.stop() == 0)
            let state = herald.stateDirectory.path
            let added = try DeliveryKit.cli(["silences", "add", "--state-dir", state, "--id", "cli-1", "--subject", "p-cli",
                                             "--duration", "2h", "--author", "ops", "--comment", "moving racks"])
            #expect(added.status == 0, "\(added.error)")
            let bad = try DeliveryKit.cli(["silences", "add", "--state-dir", state, "--duration", "2h", "--author", "ops", "--comment", "x"])
            #expect(bad.status == 1)
            #expect(bad.error.contains("matcher"))
            let listed = try DeliveryKit.cli(["silences", "list", "--state-dir", state, "--json"])
            #expect(listed.output.contains("\"cli-1\""))
            // A restarted daemon matches against it.
            try herald.start()
            try K.post(herald, value: 35, subject: "p-cli")
            #expect(try K.audit(herald, subject: "p-cli").first?["suppressedBy"] as? String == "cli-1")
            #expect(herald.stop() == 0)
            #expect(try DeliveryKit.cli(["silences", "expire", "cli-1", "--state-dir", state]).status == 0)
            #expect(try DeliveryKit.cli(["silences", "list", "--state-dir", state]).output.contains("no silences"))
            #expect(try DeliveryKit.cli(["silences", "list", "--all", "--state-dir", state]).output.contains("cli-1  expired"))
            #expect(try DeliveryKit.cli(["silences", "delete", "cli-1", "--state-dir", state]).output == "deleted silence cli-1\n")
            // Each change is in the audit log, newest first, by the local user.
            try herald.start()
            let changes = try K.audit(herald, subject: "p-cli").filter { $0["silence"] != nil }
            #expect(changes.map { $0["action"] as? String } == ["delete-silence", "expire-silence", "silence"], "\(changes)")
            #expect(changes.allSatisfy { ($0["actor"] as? String)?.hasPrefix("local:") == true })
            #expect(herald.stop() == 0)
        }

        @Test func explainShowsWhichSilenceWouldSuppress() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-esc-explain-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let silences = directory.appendingPathComponent("silences.json")
            let event = directory.appendingPathComponent("event.json")
            try #"[{"id": "s-x", "matcher": {"subjectID": "p-1"}, "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-02T00:00:00Z", "author": "ops", "comment": "test"}]"#
                .write(to: silences, atomically: true, encoding: .utf8)
            try ApiFixture.event(value: 35, timestamp: "2026-01-01T12:00:00Z").write(to: event, atomically: true, encoding: .utf8)
            let result = try DeliveryKit.cli(["explain", "--config", Fixtures.url("Config/examples/escalation.json").path,
                                              "--event", event.path, "--silences", silences.path, "--json"])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains(#""suppressedBy" : "s-x""#))
            #expect(result.output.contains("escalationForecast"))
        }
    }
}
