import Foundation
import Testing
import HeraldTestKit

/// Every error status the API answers, each as the one JSON error shape
/// `{"error": code, "message": sentence, "details": [{"path", "message"}]}` with its
/// stable code, and the headers the status calls for.
@Suite(.serialized)
struct ApiErrorTests {
    typealias F = ApiFixture

    /// Limits small enough to hit from a test: 2 KiB bodies, 3 events per batch.
    static var limits: [String: Any] { ["maxBodyBytes": 2048, "maxBatchEvents": 3] }

    /// Checks status, JSON content type and the error shape; returns the details.
    @discardableResult
    static func expectError(_ response: HTTPClient.Response, _ status: Int, _ code: String,
                            sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type")?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let body = response.json
        #expect(body["error"] as? String == code, "\(response.text)", sourceLocation: sourceLocation)
        #expect((body["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        let details = body["details"] as? [[String: Any]]
        #expect(details != nil, "details is always an array", sourceLocation: sourceLocation)
        return details ?? []
    }

    static func paths(_ details: [[String: Any]]) -> [String] { details.compactMap { $0["path"] as? String } }

    @Test func malformedJSONIs400() throws {
        let herald = try F.start(server: Self.limits)
        let details = Self.expectError(try F.postEvents(herald, "{\"metric\": "), 400, "malformed_json")
        #expect(Self.paths(details) == ["(body)"])
        Self.expectError(try F.postEvents(herald, ""), 400, "malformed_json")
        #expect(try F.audit(herald).isEmpty)
    }

    @Test func invalidEventsAre422NamingEachFieldAndNothingIsAccepted() throws {
        let herald = try F.start(server: Self.limits)
        let body = #"{"events": [{"id": "ok-1", "metric": "utilisation_variance", "value": 12, "subject": {"id": "p-1"}}, {"metric": "utilisation_variance", "value": "high", "subject": {"id": "p-1"}}, {"metric": "", "value": 1, "subject": {}, "timestamp": "yesterday", "colour": "red"}]}"#
        let details = Self.expectError(try F.postEvents(herald, body), 422, "invalid_event")
        let paths = Set(Self.paths(details))
        #expect(paths.contains("events[1].value"))
        #expect(paths.isSuperset(of: ["events[2].metric", "events[2].subject.id", "events[2].timestamp", "events[2].colour"]))
        #expect(!paths.contains { $0.hasPrefix("events[0]") }, "the valid event has no problem")
        #expect(details.allSatisfy { ($0["message"] as? String)?.isEmpty == false })

        // All or nothing: the valid first event was not accepted (its id is unseen, no notice).
        #expect(try F.audit(herald).isEmpty)
        let retry = try F.postEvents(herald, F.event(id: "ok-1", value: 12))
        #expect(retry.json as NSDictionary == ["accepted": 1, "duplicates": 0, "notifications": 1, "unmatched": 0] as NSDictionary)

        let single = Self.expectError(try F.postEvents(herald, #"{"metric": "m", "subject": {"id": "p"}}"#), 422, "invalid_event")
        #expect(Self.paths(single) == ["value"])
        Self.expectError(try F.postEvents(herald, #"{"events": []}"#), 422, "invalid_event")
    }

    @Test func bodyOverTheLimitIs413() throws {
        let herald = try F.start(server: Self.limits)
        let padding = String(repeating: "x", count: 3000)
        let body = #"{"metric": "m", "value": 1, "subject": {"id": "p"}, "labels": {"pad": "\#(padding)"}}"#
        Self.expectError(try F.postEvents(herald, body), 413, "body_too_large")
        // The limit applies to the read API too: a body is refused before routing.
        Self.expectError(try HTTPClient.send("POST", herald.url("/v1/explain"), body: Data(body.utf8), token: F.writerToken),
                         413, "body_too_large")
        // Exactly at the limit is fine (JSON whitespace pads the event to 2048 bytes).
        let event = F.event(value: 1)
        let fits = event + String(repeating: " ", count: 2048 - event.utf8.count)
        #expect(fits.utf8.count == 2048)
        #expect(try F.postEvents(herald, fits).status == 202)
        Self.expectError(try F.postEvents(herald, fits + " "), 413, "body_too_large")
    }

    @Test func batchOverTheLimitIs413() throws {
        let herald = try F.start(server: Self.limits)
        let events = (1...4).map { F.event(id: "b-\($0)", value: 1, coordinator: nil) }
        let details = Self.expectError(try F.postEvents(herald, F.batch(events)), 413, "batch_too_large")
        #expect(Self.paths(details) == ["events"])
        #expect(try F.postEvents(herald, F.batch(Array(events.prefix(3)))).json["accepted"] as? Int == 3)
    }

    @Test func wrongContentTypeIs415() throws {
        let herald = try F.start(server: Self.limits)
        let event = Data(F.event(value: 1).utf8)
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
            Self.expectError(try HTTPClient.send("POST", herald.url("/v1/events"), body: event, token: F.writerToken, contentType: type),
                             415, "unsupported_media_type")
        }
        Self.expectError(try HTTPClient.send("POST", herald.url("/v1/explain"), body: event, token: F.readerToken, contentType: "text/csv"),
                         415, "unsupported_media_type")
        // Parameters and case do not matter.
        let withCharset = try HTTPClient.send("POST", herald.url("/v1/events"), body: event, token: F.writerToken,
                                              contentType: "Application/JSON; charset=utf-8")
        #expect(withCharset.status == 202)
    }

    @Test func missingWrongOrTruncatedTokenIs401WithAChallenge() throws {
        let herald = try F.start()
        let event = Data(F.event(value: 1).utf8)
        let cases: [(headers: [String: String], code: String)] = [
            ([:], "missing_token"),
            (["Authorization": "Bearer not-a-token"], "invalid_token"),
            (["Authorization": "Bearer \(F.writerToken.dropLast(3))"], "invalid_token"),
            (["Authorization": "Bearer \(F.writerToken)x"], "invalid_token"),
            (["Authorization": "Basic \(Data("user:\(F.writerToken)".utf8).base64EncodedString())"], "malformed_authorization"),
            (["Authorization": "Bearer"], "malformed_authorization"),
        ]
        for (headers, code) in cases {
            let response = try HTTPClient.send("POST", herald.url("/v1/events"), body: event, token: nil, headers: headers)
            Self.expectError(response, 401, code)
            #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer realm=\"herald\"") == true, "\(headers)")
        }
        let read = try HTTPClient.get(herald.url("/v1/notifications"))
        Self.expectError(read, 401, "missing_token")
        #expect(try F.audit(herald).isEmpty, "nothing got in")
    }

    @Test func tokenWithoutTheScopeIs403() throws {
        let herald = try F.start()
        let readOnly = try F.postEvents(herald, F.event(value: 1), token: F.readerToken)
        Self.expectError(readOnly, 403, "insufficient_scope")
        #expect(readOnly.header("WWW-Authenticate")?.contains("scope=\"events:write\"") == true)

        Self.expectError(try HTTPClient.get(herald.url("/v1/notifications"), token: F.ingestToken), 403, "insufficient_scope")
        Self.expectError(try HTTPClient.get(herald.url("/v1/directory/users/u-sam"), token: F.ingestToken), 403, "insufficient_scope")
        Self.expectError(try HTTPClient.send("POST", herald.url("/v1/dead-letters/msg_x/retry"), token: F.readerToken),
                         403, "insufficient_scope")
        // The ingest-only token can post; the admin token can do what `read` can.
        #expect(try F.postEvents(herald, F.event(value: 1), token: F.ingestToken).status == 202)
        #expect(try HTTPClient.get(herald.url("/v1/dead-letters"), token: F.writerToken).status == 200)
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() throws {
        let herald = try F.start()
        Self.expectError(try HTTPClient.get(herald.url("/v1/nothing-here"), token: F.writerToken), 404, "not_found")
        Self.expectError(try HTTPClient.get(herald.url("/v1/events/extra"), token: F.writerToken), 404, "not_found")
        Self.expectError(try HTTPClient.get(herald.url("/"), token: nil), 404, "not_found")

        let delete = try HTTPClient.send("DELETE", herald.url("/v1/events"), token: F.writerToken)
        Self.expectError(delete, 405, "method_not_allowed")
        #expect(delete.header("Allow") == "POST")
        let getEvents = try HTTPClient.get(herald.url("/v1/events"), token: F.writerToken)
        Self.expectError(getEvents, 405, "method_not_allowed")
        #expect(getEvents.header("Allow") == "POST")
        let postHealth = try HTTPClient.send("POST", herald.url("/healthz"), body: Data("{}".utf8))
        Self.expectError(postHealth, 405, "method_not_allowed")
        #expect(postHealth.header("Allow") == "GET, HEAD")
    }

    /// The queue fills deterministically: another process holds SQLite's write lock, so
    /// the first request's 2 events wait in the queue (`queueDepth: 2`) for their commit;
    /// a second request finds no room and gets 429. When the lock is released the first
    /// request commits and gets its 202.
    @Test func fullQueueIs429WithRetryAfter() throws {
        let herald = try F.start(server: ["queueDepth": 2, "maxBatchEvents": 2])
        let lock = try SQLiteWriteLock(database: herald.stateDirectory.appendingPathComponent("herald.sqlite"))
        let first = PendingResponse()
        DispatchQueue.global().async {
            first.set(try? F.postEvents(herald, F.batch([F.event(id: "q-1", value: 12), F.event(id: "q-2", value: 25)])))
        }
        #expect(Poll.until(timeout: 5) { (try? F.metrics(herald)["herald_queue_depth"]) == 2 })
        let response = try F.postEvents(herald, F.event(id: "q-3", value: 12, subject: "p-2"))
        Self.expectError(response, 429, "overloaded")
        let retryAfter = try #require(response.header("Retry-After"))
        #expect((Int(retryAfter) ?? 0) >= 1)

        lock.release()
        #expect(Poll.until(timeout: 10) { first.value != nil })
        #expect(first.value?.status == 202)
        // Refused means not accepted: q-3 is unseen and caused no notice.
        let again = try F.postEvents(herald, F.event(id: "q-3", value: 12, subject: "p-2"))
        #expect(again.json as NSDictionary == ["accepted": 1, "duplicates": 0, "notifications": 1, "unmatched": 0] as NSDictionary)
        #expect(try F.metrics(herald)["herald_events_rejected_total{reason=\"overloaded\"}"] == 1)
    }

    @Test func badAuditQueriesAre400NamingTheParameter() throws {
        let herald = try F.start()
        for (query, path) in [("limit=0", "query.limit"), ("limit=501", "query.limit"), ("limit=ten", "query.limit"),
                              ("after=abc", "query.after"), ("since=yesterday", "query.since")] {
            let details = Self.expectError(try HTTPClient.get(herald.url("/v1/notifications?\(query)"), token: F.readerToken),
                                           400, "bad_query")
            #expect(Self.paths(details) == [path], "\(query)")
        }
        let deadLetters = try HTTPClient.get(herald.url("/v1/dead-letters?limit=-1"), token: F.readerToken)
        #expect(Self.paths(Self.expectError(deadLetters, 400, "bad_query")) == ["query.limit"])
    }

    /// Tokens are secrets: after successes and every kind of auth failure (including a
    /// near-miss guess), neither the real tokens nor the guesses appear in the log, even
    /// at debug level.
    @Test func tokensNeverAppearInTheLog() throws {
        let herald = try HeraldProcess(config: F.config(), environment: F.environment, start: false)
        try herald.start(extraArguments: ["--log-level", "debug"])
        let nearMiss = String(F.writerToken.dropLast(2))
        let guesses = [nearMiss, "guess-\(F.readerToken)", F.writerToken + "0"]
        #expect(try F.postEvents(herald, F.event(id: "t-1", value: 12)).status == 202)
        #expect(try HTTPClient.get(herald.url("/v1/notifications"), token: F.readerToken).status == 200)
        #expect(try F.postEvents(herald, F.event(value: 1), token: F.readerToken).status == 403)
        #expect(try F.postEvents(herald, F.event(value: 1), token: F.ingestToken).status == 202)
        for guess in guesses {
            #expect(try F.postEvents(herald, F.event(value: 1), token: guess).status == 401)
        }
        let basic = ["Authorization": "Basic \(F.writerToken)"]
        #expect(try HTTPClient.send("GET", herald.url("/v1/notifications"), headers: basic).status == 401)
        #expect(herald.stop() == 0)

        let log = herald.logText()
        #expect(log.contains("herald stopped"), "the log was captured")
        for secret in F.allTokens + guesses {
            #expect(!log.contains(secret), "a token leaked into the log")
        }
        #expect(!log.contains(F.readerTokenSHA256), "token hashes stay out of the log too")
    }
}

/// A response that arrives on another thread.
final class PendingResponse: @unchecked Sendable {
    private let lock = NSLock()
    private var response: HTTPClient.Response?
    func set(_ value: HTTPClient.Response?) { lock.withLock { response = value } }
    var value: HTTPClient.Response? { lock.withLock { response } }
}
