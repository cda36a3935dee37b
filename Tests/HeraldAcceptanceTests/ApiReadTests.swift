import Foundation
import Testing
import HeraldTestKit

/// The read side of the API and the operations endpoints: `POST /v1/explain` (no side
/// effects), `GET /v1/directory/users/{id}`, `/healthz`, `/readyz` and `/metrics`.
@Suite(.serialized)
struct ApiReadTests {
    typealias F = ApiFixture

    static func explain(_ herald: HeraldProcess, _ body: String, token: String = F.readerToken) throws -> HTTPClient.Response {
        try HTTPClient.post(herald.url("/v1/explain"), json: body, token: token)
    }

    /// The notifications of the first rule of the first step.
    static func notifications(_ explanation: [String: Any]) -> [[String: Any]] {
        let step = (explanation["steps"] as? [[String: Any]])?.first
        let rule = (step?["rules"] as? [[String: Any]])?.first
        return rule?["notifications"] as? [[String: Any]] ?? []
    }

    @Test func explainAnswersWithoutSideEffects() throws {
        let herald = try F.start()
        #expect(try F.postEvents(herald, F.event(id: "x-1", value: 12, subject: "p-1")).status == 202)
        let auditBefore = try F.audit(herald)
        let metricsBefore = try F.metrics(herald)

        // p-1 is at 10%: 25 would escalate to 20% and tell the sc-managers group.
        let response = try Self.explain(herald, F.event(id: "x-2", value: 25, subject: "p-1"))
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true)
        let step = try #require((response.json["steps"] as? [[String: Any]])?.first)
        #expect(step["duplicate"] as? Bool == false)
        let rule = try #require((step["rules"] as? [[String: Any]])?.first)
        #expect(rule["rule"] as? String == F.rule)
        #expect(rule["status"] as? String == "changed")
        #expect((rule["previousTier"] as? [String: Any])?["name"] as? String == "10%")
        #expect((rule["tier"] as? [String: Any])?["name"] as? String == "20%")
        let notice = try #require(Self.notifications(response.json).first)
        #expect(notice["transition"] as? String == "escalated")
        let recipients = (notice["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(recipients.contains("u-maya") && recipients.contains("u-rita"), "sc-managers and its nested regional-leads")
        #expect(response.json["outOfOrder"] as? Int == 0)

        // Nothing changed: audit, counters, state and the seen ids.
        #expect(try F.audit(herald).map { $0["id"] as? String } == auditBefore.map { $0["id"] as? String })
        let metricsAfter = try F.metrics(herald)
        #expect(metricsAfter["herald_events_accepted_total"] == metricsBefore["herald_events_accepted_total"])
        let real = try F.postEvents(herald, F.event(id: "x-2", value: 25, subject: "p-1"))
        #expect(real.json as NSDictionary == ["accepted": 1, "duplicates": 0, "notifications": 1, "unmatched": 0] as NSDictionary,
                "explain neither marked the id seen nor advanced the tier")
        #expect(F.transitions(try F.audit(herald)) == ["escalated", "firing"])

        // Explain sees the live state: a seen id is a duplicate, the same tier no notice.
        let seen = try Self.explain(herald, F.event(id: "x-1", value: 12, subject: "p-1"))
        #expect((seen.json["steps"] as? [[String: Any]])?.first?["duplicate"] as? Bool == true)
        let sameTier = try Self.explain(herald, F.event(value: 26, subject: "p-1"))
        #expect(Self.notifications(sameTier.json).isEmpty)

        // The same refusals as ingest; and it needs `read`, which the ingest-only token lacks.
        #expect(try Self.explain(herald, "{nope").json["error"] as? String == "malformed_json")
        #expect(try Self.explain(herald, #"{"metric": "m"}"#).status == 422)
        #expect(try Self.explain(herald, F.event(value: 1), token: F.ingestToken).status == 403)
    }

    @Test func directoryUserShowsEffectiveRolesGroupsAndRights() throws {
        let herald = try F.start()
        func user(_ id: String) throws -> HTTPClient.Response {
            try HTTPClient.get(herald.url("/v1/directory/users/\(id)"), token: F.readerToken)
        }
        let chloe = try user("u-chloe")
        #expect(chloe.status == 200)
        #expect(chloe.json["id"] as? String == "u-chloe")
        #expect(chloe.json["active"] as? Bool == true)
        #expect(chloe.json["owner"] as? Bool == false)
        // No roles of her own: the default role; rights copied from u-sam.
        #expect((chloe.json["roles"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["team_member"])
        let chloeRights = Set(chloe.json["rights"] as? [String] ?? [])
        #expect(chloeRights.contains("participants.view"))
        #expect((chloe.json["contact"] as? [String: Any])?["email"] as? String == "chloe@example.org")

        // Rita: manager role (inherits team_member rights), member of regional-leads, and
        // through its nesting, of sc-managers.
        let rita = try user("u-rita")
        let groups = (rita.json["groups"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? ""):\($0["kind"] ?? "")" }
        #expect(Set(groups).isSuperset(of: ["regional-leads:custom", "sc-managers:custom", "manager:role"]))
        #expect(Set(rita.json["rights"] as? [String] ?? []).isSuperset(of: ["participants.view", "reports.view"]))

        #expect(try user("u-former").json["active"] as? Bool == false)
        #expect(try user("u-olivia").json["owner"] as? Bool == true)

        let unknown = try user("u-nobody")
        #expect(unknown.status == 404)
        #expect(unknown.json["error"] as? String == "unknown_user")
    }

    /// libmicrohttpd decodes `%2F` before routing, so the route takes the rest of the path
    /// as the id: a user id with a '/' is reachable escaped or not.
    @Test func aUserIdWithASlashIsReachable() throws {
        var config = try #require(try JSONSerialization.jsonObject(with: Data(try F.config().utf8)) as? [String: Any])
        config["users"] = (config["users"] as? [[String: Any]] ?? []) + [["id": "ops/lee", "name": "Lee"]]
        let herald = try HeraldProcess(config: String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self),
                                       environment: F.environment)
        for path in ["/v1/directory/users/ops%2Flee", "/v1/directory/users/ops/lee"] {
            let response = try HTTPClient.get(herald.url(path), token: F.readerToken)
            #expect(response.status == 200, "\(path)")
            #expect(response.json["id"] as? String == "ops/lee", "\(path)")
        }
        #expect(try HTTPClient.get(herald.url("/v1/directory/users/ops/nobody"), token: F.readerToken).json["error"] as? String == "unknown_user")
    }

    /// A permanent refusal (400) makes a dead letter at once; the admin retry puts it back
    /// and the same bytes go out again under the same `webhook-id`.
    @Test func deadLettersAreListedAndRetrySendsTheSameMessage() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let receiver = try PythonReceiver(secrets: [secret])
        let target: [String: Any] = ["id": "refusing", "url": receiver.url("/status/400").absoluteString, "mode": "batch",
                                     "maxAttempts": 1, "secrets": [["env": "HERALD_WEBHOOK_SECRET"]]]
        let herald = try HeraldProcess(config: F.config(targets: [target]),
                                       environment: F.environment.merging(["HERALD_WEBHOOK_SECRET": secret]) { _, new in new })
        #expect(try F.postEvents(herald, F.event(id: "dl-1", value: 12)).json["notifications"] as? Int == 1)

        var page: [[String: Any]] = []
        #expect(Poll.until(timeout: 10) {
            page = (try? HTTPClient.get(herald.url("/v1/dead-letters"), token: F.readerToken))?.json["deadLetters"] as? [[String: Any]] ?? []
            return !page.isEmpty
        })
        let dead = try #require(page.first)
        let deliveryID = try #require(dead["deliveryId"] as? String)
        #expect(dead["lastStatus"] as? Int == 400)
        #expect(dead["attempts"] as? Int == 1)
        #expect(dead["destination"] as? String == "refusing")
        #expect((dead["payload"] as? [String: Any])?["type"] as? String == "herald.notification.firing")
        let notificationID = try #require(try F.audit(herald).first?["id"] as? String)
        #expect(dead["notificationId"] as? String == notificationID)

        let retry = try HTTPClient.send("POST", herald.url("/v1/dead-letters/\(deliveryID)/retry"), token: F.writerToken)
        #expect(retry.status == 202)
        #expect(retry.json["requeued"] as? String == deliveryID)
        #expect(Poll.until(timeout: 10) { receiver.requests().count >= 2 })
        let sent = receiver.requests()
        #expect(sent.map { $0.headers["webhook-id"] } == [deliveryID, deliveryID])
        #expect(sent.count == 2 && sent[0].body == sent[1].body, "the same bytes")
        #expect(sent.allSatisfy { $0.verified_with == [0] })
        // Refused again: a dead letter again, still one row for the delivery.
        #expect(Poll.until(timeout: 10) {
            ((try? HTTPClient.get(herald.url("/v1/dead-letters"), token: F.readerToken))?.json["deadLetters"] as? [Any])?.count == 1
        })
        let unknown = try HTTPClient.send("POST", herald.url("/v1/dead-letters/msg_nope/retry"), token: F.writerToken)
        #expect(unknown.status == 404)
        #expect(unknown.json["error"] as? String == "unknown_dead_letter")
    }

    @Test func healthReadinessAndMetrics() throws {
        let herald = try F.start()
        let health = try HTTPClient.get(herald.url("/healthz"))
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let ready = try HTTPClient.get(herald.url("/readyz"))
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        #expect(try HTTPClient.send("HEAD", herald.url("/healthz")).status == 200)

        let metricsResponse = try HTTPClient.get(herald.url("/metrics"))
        #expect(metricsResponse.status == 200)
        #expect(metricsResponse.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metricsResponse.text.contains("# TYPE herald_http_requests_total counter"))
        let before = try F.metrics(herald)
        #expect(before.keys.contains { $0.hasPrefix("herald_build_info{version=\"") }, "build info carries the version")
        #expect(before["herald_queue_depth"] == 0)

        #expect(try F.postEvents(herald, F.batch([F.event(id: "m-1", value: 12), F.event(id: "m-2", value: 25)])).status == 202)
        #expect(try F.postEvents(herald, F.event(id: "m-1", value: 12)).status == 202)
        #expect(try F.postEvents(herald, "{oops").status == 400)
        #expect(try F.postEvents(herald, F.event(value: 1), token: nil).status == 401)
        #expect(try HTTPClient.get(herald.url("/v1/directory/users/u-sam"), token: F.readerToken).status == 200)

        let after = try F.metrics(herald)
        func moved(_ series: String) -> Double { (after[series] ?? 0) - (before[series] ?? 0) }
        #expect(moved("herald_events_received_total") == 3)
        #expect(moved("herald_events_accepted_total") == 2)
        #expect(moved("herald_events_duplicate_total") == 1)
        #expect(moved("herald_events_rejected_total{reason=\"malformed_json\"}") == 1)
        #expect(moved(#"herald_notifications_total{rule="utilisation-variance",tier="10%",transition="firing"}"#) == 1)
        #expect(moved(#"herald_notifications_total{rule="utilisation-variance",tier="20%",transition="escalated"}"#) == 1)
        // Requests by route pattern (never the raw path) and status.
        #expect(moved(#"herald_http_requests_total{route="/v1/events",status="202"}"#) == 2)
        #expect(moved(#"herald_http_requests_total{route="/v1/events",status="400"}"#) == 1)
        #expect(moved(#"herald_http_requests_total{route="/v1/events",status="401"}"#) == 1)
        #expect(moved(#"herald_http_requests_total{route="/v1/directory/users/{id}",status="200"}"#) == 1)
        #expect(!after.keys.contains { $0.contains("u-sam") }, "ids from paths never become labels")
        #expect(moved("herald_commit_batch_size_count") >= 1)
        #expect(after.keys.contains("herald_commit_seconds_bucket{le=\"+Inf\"}"))
        #expect(after["herald_queue_depth"] == 0)
    }
}
