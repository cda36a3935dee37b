import Foundation
import Testing
import HeraldTestKit

/// Every escalation acceptance test, run one at a time: they wait on real timers of a
/// few seconds, and the machine has few cores. The test structs in the other
/// `Escalation*.swift` files are nested in this suite.
@Suite(.serialized)
enum EscalationTests {}

/// Config/examples/escalation.json served by the real binary with short real durations,
/// a loopback receiver as its webhook target, and small helpers for the episode API.
enum EscalationKit {
    static let writerToken = "esc-writer-token-5b1e0c"
    static let ackToken = "esc-ack-token-77d2a9"
    static let secret = DeliveryKit.secret
    static let environment = ["HERALD_TOKEN": writerToken, "HERALD_ACK_TOKEN": ackToken, "HERALD_WEBHOOK_SECRET": secret]
    static let rule = "utilisation-variance"
    static let patience: TimeInterval = 15

    /// The example with the 30% tier escalating to the owner after `after` (repeated
    /// `repeatCount` more times), its target pointed at `receiver`, and test tokens:
    /// `writer` (events, read, admin) and `acker` (ack, read). `quietHours` replaces
    /// Maya's quiet hours (nil keeps the example's) and also adds her to the critical
    /// 30% tier's audience, so one person shows both a hold and a bypass.
    static func config(receiver: PythonReceiver, after: String = "2s", repeatCount: Int = 0,
                       quietHours: [String: Any]? = nil) throws -> String {
        guard var root = try JSONSerialization.jsonObject(with: try Fixtures.data("Config/examples/escalation.json")) as? [String: Any],
              var rules = root["rules"] as? [[String: Any]], var tiers = rules[0]["tiers"] as? [[String: Any]],
              var users = root["users"] as? [[String: Any]] else {
            throw ApiTestFailure("Config/examples/escalation.json has changed shape")
        }
        tiers[2]["escalation"] = ["steps": [["after": after, "notify": [["owner": true]]]], "repeat": repeatCount]
        if quietHours != nil { tiers[2]["notify"] = (tiers[2]["notify"] as? [Any] ?? []) + [["user": "u-maya"]] }
        rules[0]["tiers"] = tiers
        root["rules"] = rules
        if let quietHours, let maya = users.firstIndex(where: { $0["id"] as? String == "u-maya" }) {
            users[maya]["quietHours"] = quietHours
        }
        root["users"] = users
        root["targets"] = [["id": "ops", "url": receiver.url("/hook").absoluteString, "mode": "batch",
                            "secrets": [["env": "HERALD_WEBHOOK_SECRET"]], "retrySchedule": ["0s", "200ms"], "maxAttempts": 2]]
        root["server"] = ["listen": "127.0.0.1:0", "tokens": [
            ["id": "writer", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]],
            ["id": "acker", "env": "HERALD_ACK_TOKEN", "scopes": ["ack", "read"]],
        ]]
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func start(_ config: String) throws -> HeraldProcess {
        try HeraldProcess(config: config, environment: environment)
    }

    /// Posts one event of the example rule (Chloe is the primary coordinator).
    static func post(_ herald: HeraldProcess, value: Double, subject: String) throws {
        let event = ApiFixture.event(id: "e-\(subject)-\(UUID().uuidString)", value: value, subject: subject)
        let response = try HTTPClient.post(herald.url("/v1/events"), json: event, token: writerToken)
        #expect(response.status == 202, "event refused: \(response.text)")
    }

    /// Webhooks received for `subject` with `transition`, in arrival order.
    static func webhooks(_ receiver: PythonReceiver, subject: String, transition: String? = nil) -> [[String: Any]] {
        receiver.requests().map(\.json).filter { body in
            (body["subject"] as? [String: Any])?["id"] as? String == subject
                && (transition == nil || body["transition"] as? String == transition)
        }
    }

    /// Waits (bounded) for the first webhook for `subject` with `transition`.
    static func waitForWebhook(_ receiver: PythonReceiver, subject: String, transition: String,
                               timeout: TimeInterval = patience) -> [String: Any]? {
        _ = Poll.until(timeout: timeout) { !webhooks(receiver, subject: subject, transition: transition).isEmpty }
        return webhooks(receiver, subject: subject, transition: transition).first
    }

    static func episodeID(_ webhook: [String: Any]) -> String {
        (webhook["episode"] as? [String: Any])?["id"] as? String ?? ""
    }

    static func recipientIDs(_ webhook: [String: Any]) -> [String] {
        (webhook["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    /// The ack token the webhook carries for `user`.
    static func ackToken(_ webhook: [String: Any], user: String) -> String? {
        let entry = (webhook["recipients"] as? [[String: Any]] ?? []).first { $0["id"] as? String == user }
        return (entry?["ack"] as? [String: Any])?["token"] as? String
    }

    /// `POST /v1/episodes/<verb>` with `{"episode", "user"?}`.
    static func act(_ herald: HeraldProcess, _ verb: String, episode: String, user: String?,
                    token: String? = ackToken) throws -> HTTPClient.Response {
        var body: [String: Any] = ["episode": episode]
        if let user { body["user"] = user }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try HTTPClient.post(herald.url("/v1/episodes/\(verb)"), json: json, token: token)
    }

    static func ackLink(_ herald: HeraldProcess, token: String) throws -> HTTPClient.Response {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["token": token]), as: UTF8.self)
        return try HTTPClient.post(herald.url("/v1/episodes/ack-link"), json: json, token: nil)
    }

    /// A correctly signed ack token with any claims, made the documented way by Python's
    /// hmac module (independent of Herald's code): key = HMAC(secret key, "herald ack link v1").
    static func signedToken(episode: String, user: String, expiry: Int) throws -> String {
        let script = """
        import base64, hmac, hashlib, sys
        key = base64.b64decode(sys.argv[1][len("whsec_"):])
        derived = hmac.new(key, b"herald ack link v1", hashlib.sha256).digest()
        b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        claims = b64(("%s|%s|%s" % (sys.argv[2], sys.argv[3], sys.argv[4])).encode())
        print(claims + "." + b64(hmac.new(derived, claims.encode(), hashlib.sha256).digest()), end="")
        """
        return try python(script, [secret, episode, user, String(expiry)])
    }

    /// Outbox rows `(destination, next_attempt_at_ms, created_at_ms)` read with Python's
    /// sqlite3 from the daemon's database (WAL allows a reader while it runs).
    static func outbox(_ herald: HeraldProcess) throws -> [(String, Int64, Int64)] {
        let script = """
        import sqlite3, sys
        db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
        for row in db.execute("SELECT target, next_attempt_at_ms, created_at_ms FROM outbox"):
            print("%s %d %d" % row)
        """
        let text = try python(script, [herald.stateDirectory.appendingPathComponent("herald.sqlite").path])
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let next = Int64(parts[1]), let created = Int64(parts[2]) else { return nil }
            return (String(parts[0]), next, created)
        }
    }

    /// Runs a short Python script (bounded) and returns its standard output.
    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-esc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("script.py"), out = directory.appendingPathComponent("out")
        try script.write(to: file, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", file.path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        try process.run()
        let finished = Poll.until(timeout: 20) { !process.isRunning }
        if !finished { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard finished, process.terminationStatus == 0 else { throw ApiTestFailure("python script failed: \(script)") }
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    /// Every audit entry for `subject`, newest first.
    static func audit(_ herald: HeraldProcess, subject: String) throws -> [[String: Any]] {
        let response = try HTTPClient.get(herald.url("/v1/notifications?subject=\(subject)"), token: writerToken)
        #expect(response.status == 200, "audit: \(response.text)")
        return response.json["notifications"] as? [[String: Any]] ?? []
    }

    /// Parses the API's RFC 3339 timestamps (with milliseconds).
    static func date(_ text: Any?) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (text as? String).flatMap { formatter.date(from: $0) }
    }
}
