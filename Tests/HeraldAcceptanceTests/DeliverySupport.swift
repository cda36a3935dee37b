import Foundation
import Testing
import HeraldTestKit

/// Every webhook-delivery acceptance test, run one at a time: several measure time
/// (Retry-After, promptness next to a slow target), and the machine has few cores.
/// The test structs in the other `Delivery*.swift` files are nested in this suite.
@Suite(.serialized)
enum DeliveryTests {}

/// Config building, event posting and small bounded waits shared by the delivery tests.
enum DeliveryKit {
    static let token = "delivery-test-token"
    /// The Standard Webhooks test-vector secret and a second one for rotation.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let nextSecret = "whsec_" + Data("herald-next-secret-32-bytes-long".utf8).base64EncodedString()
    static let environment = ["HERALD_TOKEN": token, "SECRET_A": secret, "SECRET_B": nextSecret]

    /// Longest wait for something that should happen within a second or two; generous
    /// because the machine is shared.
    static let patience: TimeInterval = 15

    /// A short retry schedule so retries happen within the test's time.
    static let fastRetries = #""retrySchedule": ["0s", "200ms", "400ms"], "maxAttempts": 3"#

    /// One target entry. `extra` is more JSON members (without a leading comma).
    static func target(_ id: String, url: URL, mode: String = "batch", secrets: [String] = ["SECRET_A"],
                       extra: String = fastRetries) -> String {
        let sources = secrets.map { #"{"env": "\#($0)"}"# }.joined(separator: ", ")
        return #"{"id": "\#(id)", "url": "\#(url.absoluteString)", "mode": "\#(mode)", "secrets": [\#(sources)]\#(extra.isEmpty ? "" : ", " + extra)}"#
    }

    /// The owner plus two users who can be told: `u-a` and `u-b`.
    static let twoUsers = """
        {"id": "owner", "name": "Owner", "owner": true},
        {"id": "u-a", "name": "Ann Archer", "contact": {"email": "ann@example.org"}},
        {"id": "u-b", "name": "Ben Baker"}
        """

    /// Rule `load-high`: metric `load` above 10 tells `notify` (selector JSON list).
    static func rule(_ id: String = "load-high", metric: String = "load", notify: String = #"[{"user": "u-a"}]"#,
                     targets: [String]? = nil) -> String {
        let restriction = targets.map { #", "targets": [\#($0.map { "\"\($0)\"" }.joined(separator: ", "))]"# } ?? ""
        return #"{"id": "\#(id)", "name": "Rule \#(id)", "metric": "\#(metric)"\#(restriction), "tiers": [{"name": "high", "threshold": 10, "notify": \#(notify)}]}"#
    }

    static func config(users: String = twoUsers, groups: String = "", targets: [String], rules: [String] = [rule()]) -> String {
        """
        {
          "users": [\(users)],
          "groups": [\(groups)],
          "targets": [\(targets.joined(separator: ",\n"))],
          "rules": [\(rules.joined(separator: ",\n"))],
          "server": {"tokens": [{"id": "t", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]}]}
        }
        """
    }

    static func start(_ config: String) throws -> HeraldProcess {
        try HeraldProcess(config: config, environment: environment)
    }

    /// Posts one firing event per subject (metric above every threshold); each makes one
    /// notification. Returns the response after checking it was accepted.
    @discardableResult
    static func fire(_ herald: HeraldProcess, subjects: [String], metric: String = "load", value: Double = 15,
                     expectNotices: Int? = nil) throws -> HTTPClient.Response {
        let now = ISO8601DateFormatter().string(from: Date())
        let events = subjects.map { subject in
            #"{"id": "evt-\#(metric)-\#(subject)-\#(UUID().uuidString)", "metric": "\#(metric)", "value": \#(value), "subject": {"id": "\#(subject)", "type": "participant", "name": "Subject \#(subject)"}, "relations": {}, "timestamp": "\#(now)"}"#
        }
        let response = try HTTPClient.post(herald.url("/v1/events"), json: #"{"events": [\#(events.joined(separator: ","))]}"#, token: token)
        #expect(response.status == 202, "events refused: \(response.text)")
        #expect(response.json["notifications"] as? Int == expectNotices ?? subjects.count, "unexpected notifications: \(response.text)")
        return response
    }

    /// `GET /v1/dead-letters` entries (newest first).
    static func deadLetters(_ herald: HeraldProcess) throws -> [[String: Any]] {
        let response = try HTTPClient.get(herald.url("/v1/dead-letters"), token: token)
        #expect(response.status == 200, "dead letters: \(response.text)")
        return response.json["deadLetters"] as? [[String: Any]] ?? []
    }

    /// Waits until the receiver has recorded at least `count` requests; returns them.
    @discardableResult
    static func waitForRequests(_ receiver: PythonReceiver, count: Int, timeout: TimeInterval = patience) -> [PythonReceiver.Request] {
        _ = Poll.until(timeout: timeout) { receiver.requests().count >= count }
        return receiver.requests()
    }

    /// Notification id (payload `id`) of a received webhook.
    static func notificationID(_ request: PythonReceiver.Request) -> String {
        request.json["id"] as? String ?? ""
    }

    /// Recipient ids listed in a received webhook, in order.
    static func recipientIDs(_ request: PythonReceiver.Request) -> [String] {
        (request.json["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    /// A loopback port with nothing listening: a receiver is started, its port noted,
    /// and stopped keeping its files, so the same receiver can come back on that port.
    static func downReceiver(secrets: [String] = [secret]) throws -> (port: Int, directory: URL) {
        let receiver = try PythonReceiver(secrets: secrets)
        let port = receiver.port
        let directory = receiver.workDirectory
        receiver.stop(removeFiles: false)
        return (port, directory)
    }

    static func url(port: Int, _ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Runs the `herald` CLI (bounded); returns the exit status and standard output.
    static func cli(_ arguments: [String], timeout: TimeInterval = 15) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = HeraldProcess.binary
        process.arguments = arguments
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let finished = Poll.until(timeout: timeout) { !process.isRunning }
        if !finished { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (finished ? process.terminationStatus : -1,
                (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Replaces the config and reloads it with SIGHUP; true once the daemon says so.
    static func reload(_ herald: HeraldProcess, _ config: String) throws -> Bool {
        let before = herald.logText().components(separatedBy: "config reloaded").count
        try herald.writeConfig(config)
        herald.signal(SIGHUP)
        return Poll.until(timeout: patience) { herald.logText().components(separatedBy: "config reloaded").count > before }
    }
}
