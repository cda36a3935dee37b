import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// The acknowledge page in a real browser (headless chromium via Selenium, see
    /// Tests/Browser/): from a real webhook's link to "acknowledged" with one tap, and
    /// the escalation timer stopped. Screenshots go to `$HERALD_SCREENSHOTS` when set
    /// (how docs/screenshots/ was made), else to a temporary directory.
    @Suite struct Browser {
        typealias K = EscalationKit
        /// Bound on the whole browser session (chromium starts in a few seconds; the
        /// operator script visits six pages, slower on a busy machine).
        static let timeLimit: TimeInterval = 180

        /// Runs a script of Tests/Browser with python3; returns its JSON output.
        static func run(_ script: String, _ arguments: [String]) throws -> [String: Any] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-browser-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Fixtures.url("Tests/Browser/\(script)").path] + arguments
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            let finished = Poll.until(timeout: timeLimit) { !process.isRunning }
            if !finished { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let output = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            guard finished, process.terminationStatus == 0,
                  let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
                let error = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                throw ApiTestFailure("browser script \(script) failed (is chromium installed? scripts/install-deps): \(output)\n\(error.suffix(3000))")
            }
            return json
        }

        static func screenshotDirectory() throws -> URL {
            if let path = ProcessInfo.processInfo.environment["HERALD_SCREENSHOTS"] { return URL(fileURLWithPath: path) }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-shots-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return directory
        }

        @Test func aPersonAcknowledgesFromTheLinkWithOneTap() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "8s"))
            try AckPage.post(herald, value: 35, subject: "p-browser", name: "Pat Browne")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-browser", transition: "firing"))
            let url = try #require(AckPage.pageURL(firing, user: "u-adam"))
            let shots = try Self.screenshotDirectory()
            let seen = try Self.run("ack_page.py", [url.absoluteString, shots.path])

            #expect((seen["heading"] as? String)?.contains("Pat Browne (p-browser)") == true, "\(seen)")
            #expect(seen["state_before"] as? String == "Open — nobody has acknowledged it")
            #expect(seen["viewport_width"] as? Int == 360, "\(seen)")
            #expect((seen["scroll_width"] as? Int).map { $0 <= 360 } == true, "wider than a phone: \(seen)")
            #expect(seen["focused"] as? Bool == true)
            #expect(seen["tab_order"] as? [String] == ["button:Acknowledge", "button:Resolve"], "\(seen)")
            #expect((seen["notice"] as? String)?.hasPrefix("You acknowledged this episode") == true, "\(seen)")
            #expect((seen["state_after"] as? String)?.hasPrefix("Acknowledged by") == true)
            #expect(seen["url_after"] as? String == url.absoluteString + "?done=acknowledge")
            #expect(seen["buttons_after"] as? [String] == ["Resolve"])
            // Every text on the page, as drawn, against its background: WCAG 2.x, at least 4.5:1.
            for key in ["contrast_before", "contrast_after"] {
                let contrast = try #require(seen[key] as? [String: Any], "\(seen)")
                #expect((contrast["count"] as? Int ?? 0) >= 8, "\(key): \(contrast)")
                #expect(((contrast["worst"] as? [String: Any])?["ratio"] as? Double ?? 0) >= 4.5, "\(key): \(contrast)")
            }
            // The timer stopped: the step due 8 s after firing never comes.
            #expect(try K.audit(herald, subject: "p-browser").contains { $0["action"] as? String == "acknowledge" })
            let episodes = try HTTPClient.get(herald.url("/v1/episodes?subject=p-browser"), token: K.writerToken)
            let episode = try #require((episodes.json["episodes"] as? [[String: Any]])?.first)
            #expect(episode["state"] as? String == "acknowledged")
            #expect(episode["escalationDueAt"] is NSNull)
            Thread.sleep(forTimeInterval: 9)
            #expect(K.webhooks(receiver, subject: "p-browser", transition: "escalated").isEmpty)
            #expect(herald.stop() == 0)
        }
        /// Sign in, silence an episode from its row (the next notice is held), make and
        /// expire a silence on the silences page, look a person up, read the audit log,
        /// sign out.
        @Test func anOperatorSignsInSilencesAnEpisodeAndSignsOut() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            try AckPage.post(herald, value: 12, subject: "p-silence", name: "Sam Silva")
            _ = try #require(K.waitForWebhook(receiver, subject: "p-silence", transition: "firing"))
            let seen = try Self.run("operator_ui.py", ["http://127.0.0.1:\(herald.port)", K.writerToken, "p-silence",
                                                       try Self.screenshotDirectory().path])
            #expect((seen["redirected_to"] as? String)?.hasSuffix("/ui/sign-in") == true, "\(seen)")
            #expect((seen["label"] as? String)?.hasPrefix("API token") == true)
            #expect(seen["tab_order"] as? [String] == ["input:token", "button:Sign in"], "\(seen)")
            #expect(seen["phone_viewport_width"] as? Int == 360, "\(seen)")
            #expect((seen["phone_scroll_width"] as? Int).map { $0 <= 360 } == true, "wider than a phone: \(seen)")
            #expect(seen["title"] as? String == "Episodes · Herald")
            #expect((seen["row"] as? String)?.contains("Sam Silva (p-silence)") == true)
            #expect(seen["notice"] as? String == "Done: silenced.")
            // The silences page lists it; a second one is made with the form and expired.
            #expect((seen["silences"] as? [String])?.contains { $0.contains("subject=p-silence") && $0.hasPrefix("active") } == true, "\(seen)")
            #expect((seen["created"] as? String)?.hasPrefix("Silence created") == true, "\(seen)")
            #expect((seen["expired"] as? String)?.hasPrefix("Silence expired") == true, "\(seen)")
            #expect((seen["silences_after"] as? [String])?.contains { $0.contains("p-other") } == false, "\(seen)")
            // The directory lookup, and the audit log with the changes made by hand.
            #expect(seen["person"] as? String == "Maya Murphy (u-maya)", "\(seen)")
            #expect((seen["reach"] as? [String])?.contains { $0.contains("tier 20%") && $0.contains("group:sc-managers") } == true, "\(seen)")
            #expect((seen["audit_actions"] as? [String]).map { Array($0.prefix(3)) } == ["expire-silence", "silence", "silence"], "\(seen)")
            // Every text on every page, as drawn, against its background: WCAG 2.x, at least 4.5:1.
            let contrast = try #require(seen["contrast"] as? [String: [String: Any]])
            #expect(Set(contrast.keys) == ["sign-in", "episodes", "silences", "directory", "audit", "dead-letters"])
            for (page, measured) in contrast {
                #expect((measured["count"] as? Int ?? 0) >= 3, "\(page): \(measured)")   // sign-in: heading, label, button
                #expect(((measured["worst"] as? [String: Any])?["ratio"] as? Double ?? 0) >= 4.5, "\(page): \(measured)")
            }
            #expect((seen["after_sign_out"] as? String)?.hasSuffix("/ui/sign-in") == true)
            #expect((seen["after_sign_out_ui"] as? String)?.hasSuffix("/ui/sign-in") == true)
            // The next notice (the value climbs to the 20% tier) is held by the silence.
            try AckPage.post(herald, value: 25, subject: "p-silence", name: "Sam Silva")
            let audit = try K.audit(herald, subject: "p-silence")
            let escalated = try #require(audit.first { $0["transition"] as? String == "escalated" })
            #expect(escalated["suppressedBy"] is String, "\(escalated)")
            Thread.sleep(forTimeInterval: 1)
            #expect(K.webhooks(receiver, subject: "p-silence", transition: "escalated").isEmpty)
            #expect(herald.stop() == 0)
        }
    }
}
