import Foundation
import Testing
import HeraldTestKit

/// `herald serve` with `store.postgresql` (issue #20), against the test kit's throw-away
/// PostgreSQL: the seed example is accepted and delivered signed, its state is in the
/// database (not a SQLite file), a restarted daemon finds it there, and a bad store
/// setting stops the start with a message that names the setting, never the URL.
@Suite(.serialized)
struct PostgresServeTests {
    static let token = "test-token"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The shipped example with its webhook target pointed at `receiver` and the
    /// PostgreSQL store whose URL comes from `HERALD_DATABASE_URL`.
    static func exampleConfig(receiver: URL) throws -> String {
        let text = try String(contentsOf: Fixtures.url("Config/example.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:9099/herald", with: receiver.absoluteString)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var store = document["store"] as? [String: Any] ?? [:]
        store["postgresql"] = ["url": ["env": "HERALD_DATABASE_URL"], "connections": 4]
        document["store"] = store
        return String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self)
    }

    @Test func serveAcceptsAndDeliversWithItsStateInPostgreSQL() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let receiver = try PythonReceiver(secrets: [Self.secret])
        let herald = try HeraldProcess(config: try Self.exampleConfig(receiver: receiver.url("/ok")), environment: [
            "HERALD_TOKEN": Self.token, "HERALD_WEBHOOK_SECRET": Self.secret, "HERALD_DATABASE_URL": database.url,
        ])
        let events = try String(contentsOf: Fixtures.url("Config/example-events.json"), encoding: .utf8)
        let response = try HTTPClient.post(herald.url("/v1/events"), json: events, token: Self.token)
        #expect(response.status == 202)
        #expect(response.json["accepted"] as? Int == 5)
        #expect(response.json["notifications"] as? Int == 4)
        #expect(Poll.until(timeout: 15) { receiver.requests().count >= 4 })
        let received = receiver.requests()
        #expect(received.count == 4)
        #expect(received.allSatisfy { $0.verified_with == [0] })
        #expect(try HTTPClient.get(herald.url("/readyz")).status == 200)

        // The state is in the database, and no SQLite file was made.
        #expect(try server.psql("SELECT count(*) FROM audit", database: database.name) == "4")
        #expect(try server.psql("SELECT count(*) FROM seen_event", database: database.name) == "5")
        #expect(Poll.until(timeout: 15) { (try? server.psql("SELECT count(*) FROM delivery_outcome", database: database.name)) == "4" })
        #expect(!FileManager.default.fileExists(atPath: herald.stateDirectory.appendingPathComponent("herald.sqlite").path))
        #expect(herald.stop() == 0)

        // A restarted daemon reads the seen ids back from the database: the same events are duplicates.
        try herald.start()
        let again = try HTTPClient.post(herald.url("/v1/events"), json: events, token: Self.token)
        #expect(again.status == 202)
        #expect(again.json["duplicates"] as? Int == 5)
        #expect(again.json["notifications"] as? Int == 0)
        #expect(herald.stop() == 0)
        #expect(receiver.requests().count == 4)
    }

    /// PostgreSQL down (issue #20): ingest answers 503 with Retry-After and accepts
    /// nothing, /readyz says not ready; once the database is back the daemon resumes by
    /// itself, and every event answered 202 — before and after — is delivered.
    @Test func whilePostgreSQLIsDownIngestAnswers503AndResumesByItself() throws {
        let server = try TemporaryPostgres.start()   // its own: this test stops it
        defer { server.stop() }
        let database = try server.createDatabase()
        let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
        let config = DeliveryKit.config(targets: [DeliveryKit.target("ops", url: receiver.url("/ok"))])
            .replacingOccurrences(of: "\"users\": [", with: #""store": {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}, "connections": 2}},\#n  "users": ["#)
        let herald = try HeraldProcess(config: config, environment: DeliveryKit.environment.merging(["HERALD_DATABASE_URL": database.url]) { $1 })
        try DeliveryKit.fire(herald, subjects: ["host-1"])
        #expect(DeliveryKit.waitForRequests(receiver, count: 1).count == 1)
        // Its outcome recorded too (outcomes are grouped for a moment): a webhook sent but
        // not yet recorded when the database goes down is sent again afterwards (at least
        // once, same webhook-id), which this test does not look at.
        #expect(Poll.until(timeout: 15) { (try? server.psql("SELECT count(*) FROM outbox", database: database.name)) == "0" })

        server.shutDown()
        let event = #"{"id": "evt-down-1", "metric": "load", "value": 15, "subject": {"id": "host-2"}}"#
        let refused = try HTTPClient.post(herald.url("/v1/events"), json: event, token: DeliveryKit.token)
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.header("Retry-After") == "5")
        #expect(try HTTPClient.get(herald.url("/readyz")).status == 503)

        try server.startAgain()
        // The client retries as told; within a few tries the same event is accepted.
        var accepted: HTTPClient.Response?
        _ = Poll.until(timeout: 20) {
            guard let answer = try? HTTPClient.post(herald.url("/v1/events"), json: event, token: DeliveryKit.token) else { return false }
            if answer.status == 202 { accepted = answer }
            return answer.status == 202
        }
        #expect(accepted?.json["accepted"] as? Int == 1)
        #expect(accepted?.json["notifications"] as? Int == 1)
        let received = DeliveryKit.waitForRequests(receiver, count: 2)
        #expect(received.compactMap { ($0.json["subject"] as? [String: Any])?["id"] as? String } == ["host-1", "host-2"])
        #expect(Poll.until(timeout: 15) { (try? HTTPClient.get(herald.url("/readyz")).status) == 200 })
        #expect(herald.stop() == 0)
    }

    /// Two instances on one database with different config files (issue #20 guarantee
    /// 7): /readyz stays 200 and names both hashes, the metric counts 2; once the odd one
    /// out stops, they agree again.
    @Test func instancesWithDifferentConfigsSaySoInReadyzAndTheMetric() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let environment = ["HERALD_TOKEN": Self.token, "HERALD_WEBHOOK_SECRET": Self.secret, "HERALD_DATABASE_URL": database.url]
        let config = try Self.exampleConfig(receiver: URL(string: "http://127.0.0.1:9/ok")!)
        let first = try HeraldProcess(config: config, environment: environment)
        let second = try HeraldProcess(config: config + "\n", environment: environment)   // another file: one byte more
        func hashes(_ herald: HeraldProcess) -> [String] {
            guard let answer = try? HTTPClient.get(herald.url("/readyz")), answer.status == 200 else { return ["not ready"] }
            return answer.json["configHashes"] as? [String] ?? []
        }
        // The second heard the first at its first heartbeat; the first hears it within one more.
        #expect(Poll.until(timeout: 15) { hashes(second).count == 2 && hashes(first).count == 2 })
        #expect(Set(hashes(first)) == Set(hashes(second)))
        let metrics = try HTTPClient.get(first.url("/metrics")).text
        #expect(metrics.contains("herald_config_versions 2"), "\(metrics.prefix(2_000))")
        #expect(second.stop() == 0)
        #expect(Poll.until(timeout: 15) { hashes(first).isEmpty })
        #expect(first.stop() == 0)
    }

    /// Two instances on one database (issue #20 guarantee 3): notices committed by both
    /// wait while the receiver is down, one instance is killed (kill -9), and once the
    /// receiver is back the survivor delivers every notice, each exactly once — its own,
    /// and the killed one's (released by their failed attempts, or after the lease).
    @Test func twoInstancesDeliverEachNoticeOnceAndTheSurvivorTakesOverAfterAKill() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let down = try DeliveryKit.downReceiver()
        let retries = #""retrySchedule": ["0s", "200ms", "1s"], "maxAttempts": 100"#
        let config = DeliveryKit.config(targets: [DeliveryKit.target("ops", url: DeliveryKit.url(port: down.port, "/ok"), extra: retries)])
            .replacingOccurrences(of: "\"users\": [", with: #""store": {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}}},\#n  "users": ["#)
        let environment = DeliveryKit.environment.merging(["HERALD_DATABASE_URL": database.url]) { $1 }
        let (doomed, survivor) = (try HeraldProcess(config: config, environment: environment),
                                  try HeraldProcess(config: config, environment: environment))
        let subjects = (1...5).map { "a-\($0)" } + (1...5).map { "b-\($0)" }
        try DeliveryKit.fire(doomed, subjects: Array(subjects.prefix(5)))
        try DeliveryKit.fire(survivor, subjects: Array(subjects.suffix(5)))
        #expect(Poll.until(timeout: DeliveryKit.patience) { doomed.logText().contains("will retry") })
        doomed.crash()
        let receiver = try PythonReceiver(secrets: [DeliveryKit.secret], port: down.port, directory: down.directory)
        defer { receiver.stop() }
        // A row the killed instance was sending when it died waits for its 30 s lease.
        let received = DeliveryKit.waitForRequests(receiver, count: subjects.count, timeout: 60)
        #expect(Poll.until(timeout: 15) { (try? server.psql("SELECT count(*) FROM outbox", database: database.name)) == "0" })
        Thread.sleep(forTimeInterval: 1)   // room for a duplicate to show, if one were sent
        let subjectsReceived = receiver.requests().compactMap { ($0.json["subject"] as? [String: Any])?["id"] as? String }
        #expect(subjectsReceived.sorted() == subjects.sorted(), "received \(received.count): \(subjectsReceived)")
        #expect(receiver.requests().allSatisfy { $0.verified_with == [0] })
        #expect(survivor.stop() == 0)
    }

    @Test func aBadStoreSettingStopsTheStartAndNeverPrintsTheURL() throws {
        let receiver = URL(string: "http://127.0.0.1:9/ok")!
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-pg-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.json")
        try Self.exampleConfig(receiver: receiver).write(to: file, atomically: true, encoding: .utf8)
        let serve = ["serve", "--config", file.path, "--state-dir", directory.appendingPathComponent("state").path, "--listen", "127.0.0.1:0"]
        let base = ["HERALD_TOKEN": Self.token, "HERALD_WEBHOOK_SECRET": Self.secret]

        // No URL in the environment: named like every other missing secret.
        let unset = try CommandRunner.herald(serve, timeout: 20, environment: base.merging(["HERALD_DATABASE_URL": ""]) { $1 })
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("store.postgresql.url: environment variable 'HERALD_DATABASE_URL' is not set or empty"), "\(unset.stderr)")

        // Nothing listens there: the start fails naming the store; the password stays out of the output.
        let password = "s3cret-\(UUID().uuidString.prefix(8))"
        let unreachable = try CommandRunner.herald(serve, timeout: 30, environment: base.merging([
            "HERALD_DATABASE_URL": "postgresql://herald:\(password)@127.0.0.1:1/herald?connect_timeout=2",
        ]) { $1 })
        #expect(unreachable.status != 0)
        #expect(unreachable.stderr.contains("cannot open the PostgreSQL store (store.postgresql)"), "\(unreachable.stderr)")
        #expect(!(unreachable.stdout + unreachable.stderr).contains(password))
    }
}
