import Foundation
import Testing
import HeraldTestKit

/// Two `herald serve` on one PostgreSQL database (issue #20 guarantee 4): what one
/// instance is told — a dead letter to retry, a user provisioned through SCIM, a
/// silence — holds at the other within a few seconds, without a restart or a reload.
@Suite(.serialized)
struct PostgresSharedStateTests {
    static let idpToken = "shared-idp-token-5e2a"
    static let opsToken = "shared-ops-token-71c9"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    /// Longest wait for a change to reach the other instance: polling every second (SCIM
    /// and silences), with room for a loaded machine.
    static let propagation: TimeInterval = 5

    /// The target answers its first request 500 (`/flaky`) and gives up at once, so the
    /// first notice becomes a dead letter; every later request is answered 200.
    static func config(receiver: PythonReceiver) -> String {
        """
        {"store": {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}, "connections": 4}},
         "users": [{"id": "owner", "owner": true}],
         "scim": {"roleGroups": {"Herald Managers": "manager"}},
         "targets": [{"id": "ops", "url": "\(receiver.url("/flaky").absoluteString)", "secrets": [{"env": "SECRET"}], "maxAttempts": 1}],
         "rules": [{"id": "load", "metric": "load", "tiers": [{"threshold": 10, "notify": [{"role": "manager"}, {"owner": true}]}]}],
         "server": {"listen": "127.0.0.1:0", "tokens": [
           {"id": "idp", "env": "SCIM_TOKEN", "scopes": ["directory:write"]},
           {"id": "ops", "env": "OPS_TOKEN", "scopes": ["events:write", "read", "admin"]}]}}
        """
    }

    static func fire(_ herald: HeraldProcess, subject: String) throws {
        let event = #"{"id": "evt-\#(subject)", "metric": "load", "value": 20, "subject": {"id": "\#(subject)"}}"#
        let posted = try HTTPClient.post(herald.url("/v1/events"), json: event, token: opsToken)
        #expect(posted.status == 202, "\(posted.text)")
        #expect(posted.json["notifications"] as? Int == 1, "\(posted.text)")
    }

    /// The audit entry of `subject`'s notice, read at `herald`.
    static func notice(_ herald: HeraldProcess, subject: String) -> [String: Any]? {
        var entry: [String: Any]?
        _ = Poll.until(timeout: 10) {
            let listed = try? HTTPClient.get(herald.url("/v1/notifications?subject=\(subject)"), token: opsToken)
            entry = (listed?.json["notifications"] as? [[String: Any]])?.first
            return entry != nil
        }
        return entry
    }

    static func recipients(_ entry: [String: Any]?) -> [String] {
        (entry?["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }.sorted()
    }

    /// Webhooks received for `subject`.
    static func received(_ receiver: PythonReceiver, subject: String) -> [PythonReceiver.Request] {
        receiver.requests().filter { ($0.json["subject"] as? [String: Any])?["id"] as? String == subject }
    }

    @Test func deadLettersScimUsersAndSilencesHoldAtEveryInstance() throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let receiver = try PythonReceiver(secrets: [Self.secret])
        defer { receiver.stop() }
        let environment = ["SCIM_TOKEN": Self.idpToken, "OPS_TOKEN": Self.opsToken, "SECRET": Self.secret,
                           "HERALD_DATABASE_URL": database.url]
        let config = Self.config(receiver: receiver)
        let (one, two) = (try HeraldProcess(config: config, environment: environment),
                          try HeraldProcess(config: config, environment: environment))
        defer { _ = one.stop(); _ = two.stop() }

        // A dead letter made at instance 2 is listed and retried at instance 1, and delivered.
        try Self.fire(two, subject: "dead-1")
        var deadID: String?
        #expect(Poll.until(timeout: 15) {
            let listed = try? HTTPClient.get(one.url("/v1/dead-letters"), token: Self.opsToken)
            deadID = (listed?.json["deadLetters"] as? [[String: Any]])?.first?["deliveryId"] as? String
            return deadID != nil
        })
        let id = try #require(deadID)
        let retry = try HTTPClient.post(one.url("/v1/dead-letters/\(id)/retry"), json: "", token: Self.opsToken)
        #expect(retry.status == 202, "\(retry.text)")
        #expect(Poll.until(timeout: 15) { Self.received(receiver, subject: "dead-1").count >= 2 })
        let attempts = Self.received(receiver, subject: "dead-1")
        #expect(attempts.map { $0.headers["webhook-id"] } == [id, id])
        #expect(Poll.until(timeout: 15) { (try? server.psql("SELECT count(*) FROM outbox", database: database.name)) == "0" })

        // A user provisioned at instance 1 is in instance 2's directory within seconds,
        // and instance 2's rules route to them.
        let provisioned = Date()
        let ann = try HTTPClient.send("POST", one.url("/scim/v2/Users"),
                                      body: Data(#"{"userName": "ann@example.org", "roles": [{"value": "manager"}]}"#.utf8),
                                      token: Self.idpToken, contentType: "application/scim+json")
        #expect(ann.status == 201, "\(ann.text)")
        #expect(Poll.until(timeout: Self.propagation) {
            (try? HTTPClient.get(two.url("/scim/v2/Users/ann@example.org"), token: Self.idpToken).status) == 200
        }, "instance 2 did not see the user within \(Self.propagation) s")
        let seenAfter = Date().timeIntervalSince(provisioned)
        try Self.fire(two, subject: "routed-1")
        #expect(Self.recipients(Self.notice(two, subject: "routed-1")) == ["ann@example.org", "owner"], "seen after \(seenAfter) s")
        #expect(Poll.until(timeout: 15) { Self.received(receiver, subject: "routed-1").count == 2 })   // one per recipient
        // Instance 2 rebuilt its directory from the stored resources; instance 1 found its
        // own change there (timestamps kept to milliseconds aside) and rebuilt nothing.
        let adopted = "directory changed through SCIM on another instance"
        #expect(two.logText().contains(adopted))
        Thread.sleep(forTimeInterval: 1.5)   // instance 1's watch has looked at its own change
        #expect(!one.logText().contains(adopted))

        // Deactivated at instance 2: instance 1 stops routing to them.
        let off = try HTTPClient.send("PATCH", two.url("/scim/v2/Users/ann@example.org"),
                                      body: Data(#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}"#.utf8),
                                      token: Self.idpToken, contentType: "application/scim+json")
        #expect(off.status == 200, "\(off.text)")
        #expect(Poll.until(timeout: Self.propagation) {
            (try? HTTPClient.get(one.url("/scim/v2/Users/ann@example.org"), token: Self.idpToken).json["active"] as? Bool) == false
        })
        try Self.fire(one, subject: "routed-2")
        #expect(Self.recipients(Self.notice(one, subject: "routed-2")) == ["owner"])

        // A silence made at instance 1 holds back a notice evaluated at instance 2.
        let silence = #"{"id": "maint-1", "matcher": {"ruleID": "load", "subjectID": "quiet-1"}, "duration": "1h", "author": "ops", "comment": "maintenance"}"#
        let created = try HTTPClient.post(one.url("/v1/silences"), json: silence, token: Self.opsToken)
        #expect(created.status == 201, "\(created.text)")
        Thread.sleep(forTimeInterval: 3)   // instance 2 re-reads silences every second
        try Self.fire(two, subject: "quiet-1")
        #expect(Self.notice(two, subject: "quiet-1")?["suppressedBy"] as? String == "maint-1")
        try Self.fire(two, subject: "loud-1")   // the same rule for another subject goes out
        #expect(Poll.until(timeout: 15) { !Self.received(receiver, subject: "loud-1").isEmpty })
        #expect(Self.received(receiver, subject: "quiet-1").isEmpty)
        #expect(one.stop() == 0)
        #expect(two.stop() == 0)
    }
}
