import Foundation
import Testing
import HeraldTestKit

/// docs/openapi.yaml is true to the code: it is a valid OpenAPI 3.1 document, its
/// operations are exactly the routes `herald serve` registers, and real responses and
/// webhooks validate against its schemas (checked by Python's `openapi_spec_validator`
/// and `jsonschema`, independent of the Swift code that produced them).
@Suite(.serialized)
struct OpenAPITests {
    typealias F = ApiFixture

    static let document = Fixtures.url("docs/openapi.yaml")

    /// The routes of `ApiRoutes.router()`. Adding a route there fails
    /// `routesInTheSourceAreTheRoutesKeptHere` until it is listed here, and then
    /// `documentedOperationsAreTheRoutesKeptHere` until it is documented.
    static let routes: Set<String> = [
        "GET /healthz", "GET /readyz", "GET /metrics",
        "POST /v1/events", "POST /v1/explain", "POST /v1/bridges/alertmanager", "POST /v1/bridges/grafana",
        "GET /v1/notifications", "GET /v1/notifications/{id}", "GET /v1/episodes", "GET /v1/directory/users/{id}",
        "GET /v1/dead-letters", "POST /v1/dead-letters/{id}/retry",
        "POST /v1/episodes/ack", "POST /v1/episodes/unack", "POST /v1/episodes/resolve", "POST /v1/episodes/ack-link",
        "GET /v1/silences", "POST /v1/silences", "DELETE /v1/silences/{id}",
        "GET /v1/directory/users", "GET /v1/directory/groups/{id}",
        "GET /scim/v2/ServiceProviderConfig", "GET /scim/v2/ResourceTypes", "GET /scim/v2/Schemas",
        "GET /scim/v2/ResourceTypes/{id}", "GET /scim/v2/Schemas/{id}",
        "GET /scim/v2/Users", "POST /scim/v2/Users",
        "GET /scim/v2/Users/{id}", "PUT /scim/v2/Users/{id}", "PATCH /scim/v2/Users/{id}", "DELETE /scim/v2/Users/{id}",
        "GET /scim/v2/Groups", "POST /scim/v2/Groups",
        "GET /scim/v2/Groups/{id}", "PUT /scim/v2/Groups/{id}", "PATCH /scim/v2/Groups/{id}", "DELETE /scim/v2/Groups/{id}",
    ]

    @Test func documentIsValidOpenAPI31() throws {
        let result = try Python.run(mode: "validate")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("OpenAPI 3.1 document is valid"))
    }

    @Test func documentedOperationsAreTheRoutesKeptHere() throws {
        let documented = try Self.documentedOperations()
        #expect(documented == Self.routes, "only documented: \(documented.subtracting(Self.routes)); undocumented: \(Self.routes.subtracting(documented))")
    }

    /// A source-level guard: the router's registrations, read from every ApiRoutes*.swift
    /// of the daemon (the SCIM routes are registered in ApiRoutes+Scim.swift).
    @Test func routesInTheSourceAreTheRoutesKeptHere() throws {
        let folder = Fixtures.url("Sources/HeraldDaemon")
        let files = (FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { $0.lastPathComponent.hasPrefix("ApiRoutes") && $0.pathExtension == "swift" }
        #expect(!files.isEmpty)
        let source = try files.map { try String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
        let pattern = try NSRegularExpression(pattern: #"router\.add\("([A-Za-z]+)",\s*"([^"]+)""#)
        let matches = pattern.matches(in: source, range: NSRange(source.startIndex..., in: source))
        let registered = Set(matches.compactMap { match -> String? in
            guard let method = Range(match.range(at: 1), in: source), let path = Range(match.range(at: 2), in: source) else { return nil }
            // `{id...}` (the rest of the path) is `{id}` in OpenAPI, which has no multi-segment parameter.
            return "\(source[method].uppercased()) \(source[path].replacingOccurrences(of: "...}", with: "}"))"
        })
        #expect(registered == Self.routes)
    }

    /// The running server serves every documented operation (no 404 `not_found`, no 405),
    /// and each documented path allows exactly the documented methods (its 405 `Allow`).
    @Test func theServerAnswersEveryDocumentedOperationAndNoOther() throws {
        let herald = try F.start()
        let documented = try Self.documentedOperations()
        #expect(!documented.isEmpty)
        var methodsByPath: [String: Set<String>] = [:]
        for operation in documented {
            let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
            let (method, template) = (parts[0], parts[1])
            methodsByPath[template, default: []].insert(method)
            let path = template.replacingOccurrences(of: "{id}", with: "probe-id")
            let body = method == "POST" ? Data("{}".utf8) : nil
            let response = try HTTPClient.send(method, herald.url(path), body: body, token: F.writerToken)
            let code = response.json["error"] as? String
            #expect(code != "not_found" && code != "method_not_allowed" && response.status != 405,
                    "\(operation) answered \(response.status) \(response.text)")
        }
        for (template, methods) in methodsByPath {
            let path = template.replacingOccurrences(of: "{id}", with: "probe-id")
            // A method the path does not document (SCIM paths document PATCH).
            let probe = methods.contains("PATCH") ? "OPTIONS" : "PATCH"
            let response = try HTTPClient.send(probe, herald.url(path), token: F.writerToken)
            #expect(response.status == 405, "\(template)")
            let allowed = Set((response.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed.subtracting(["HEAD"]) == methods, "\(template) allows \(allowed)")
        }
    }

    /// #17 item 11: what the server refuses for its content, the document's request schemas
    /// refuse too (empty episode, token and silence id: `minLength: 1`; cursors outside
    /// 64 bits: integer bounds), and what it accepts, they allow.
    @Test func requestSchemasRefuseWhatTheServerRefuses() throws {
        let herald = try F.start()
        defer { herald.stop() }
        var observed = Observations()
        func send(_ method: String, _ template: String, body: String? = nil, query: [String: String] = [:],
                  token: String = F.writerToken) throws -> Int {
            let queryText = query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            let response = try HTTPClient.send(method, herald.url(template + (queryText.isEmpty ? "" : "?" + queryText)),
                                               body: body.map { Data($0.utf8) }, token: token)
            observed.request(method, template, body: body, query: query, response)
            return response.status
        }
        let silence = { (id: String) in
            #"{"id": "\#(id)", "matcher": {"ruleID": "\#(F.rule)"}, "duration": "1h", "author": "ops", "comment": "maintenance"}"#
        }
        #expect(try send("POST", "/v1/episodes/ack", body: #"{"episode": ""}"#) == 422)
        #expect(try send("POST", "/v1/episodes/ack-link", body: #"{"token": ""}"#) == 422)
        #expect(try send("POST", "/v1/silences", body: silence("")) == 422)
        #expect(try send("POST", "/v1/silences", body: silence("team-b")) == 201)
        for path in ["/v1/notifications", "/v1/dead-letters"] {
            #expect(try send("GET", path, query: ["after": "99999999999999999999"], token: F.readerToken) == 400)
            #expect(try send("GET", path, query: ["after": "5"], token: F.readerToken) == 200)
        }
        let result = try Python.run(mode: "check", input: try observed.json())
        #expect(result.status == 0, "\(result.output)")
    }

    /// Real answers of every route (successes and errors) and a real webhook, checked
    /// against the document: the status is documented for the operation, the body
    /// validates against its schema, and documented headers are present and match.
    @Test func realResponsesAndWebhooksMatchTheDocument() throws {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let receiver = try PythonReceiver(secrets: [secret])
        let hook: (String, String, Int) -> [String: Any] = { id, path, attempts in
            ["id": id, "url": receiver.url(path).absoluteString, "mode": "batch", "maxAttempts": attempts,
             "secrets": [["env": "HERALD_WEBHOOK_SECRET"]]]
        }
        let config = try F.config(server: ["maxBatchEvents": 5, "queueDepth": 5],
                                  targets: [hook("ok-hook", "/ok", 8), hook("refusing-hook", "/status/400", 1)])
        let herald = try HeraldProcess(config: config, environment: F.environment.merging(["HERALD_WEBHOOK_SECRET": secret]) { _, new in new })
        var observed = Observations()

        func record(_ method: String, _ template: String, _ path: String, body: String? = nil,
                    token: String? = F.writerToken, contentType: String = "application/json") throws -> HTTPClient.Response {
            let response = try HTTPClient.send(method, herald.url(path), body: body.map { Data($0.utf8) }, token: token,
                                               contentType: contentType)
            observed.response(method, template, response)
            return response
        }

        let events = F.batch([F.event(id: "o-1", value: 12, timestamp: "2026-11-23T09:00:00Z"),
                              F.event(id: "o-2", value: 25, timestamp: "2026-11-23T10:00:00Z")])
        #expect(try record("POST", "/v1/events", "/v1/events", body: events).status == 202)
        _ = try record("POST", "/v1/events", "/v1/events", body: "{not json")
        _ = try record("POST", "/v1/events", "/v1/events", body: #"{"events": [{"metric": "m", "value": "x", "subject": {"id": "p"}}]}"#)
        _ = try record("POST", "/v1/events", "/v1/events", body: F.batch((1...6).map { F.event(value: Double($0)) }))
        // A full queue: another process holds SQLite's write lock, a 5-event batch waits
        // for its commit, and the next request finds no room.
        let lock = try SQLiteWriteLock(database: herald.stateDirectory.appendingPathComponent("herald.sqlite"))
        let waiting = DispatchGroup()
        waiting.enter()
        DispatchQueue.global().async {
            _ = try? HTTPClient.post(herald.url("/v1/events"), json: F.batch((1...5).map { F.event(id: "full-\($0)", value: 1, subject: "p-full") }), token: F.writerToken)
            waiting.leave()
        }
        #expect(Poll.until(timeout: 5) { (try? F.metrics(herald)["herald_queue_depth"]) == 5 })
        #expect(try record("POST", "/v1/events", "/v1/events", body: F.event(value: 1)).status == 429)
        lock.release()
        #expect(waiting.wait(timeout: .now() + 10) == .success)
        _ = try record("POST", "/v1/events", "/v1/events", body: F.event(value: 1), contentType: "text/plain")
        _ = try record("POST", "/v1/events", "/v1/events", body: F.event(value: 1), token: nil)
        _ = try record("POST", "/v1/events", "/v1/events", body: F.event(value: 1), token: "wrong")
        _ = try record("POST", "/v1/events", "/v1/events", body: F.event(value: 1), token: F.readerToken)
        _ = try record("POST", "/v1/explain", "/v1/explain", body: F.event(id: "o-3", value: 35), token: F.readerToken)
        _ = try record("POST", "/v1/explain", "/v1/explain", body: #"{"value": 1}"#, token: F.readerToken)
        #expect(try record("GET", "/v1/notifications", "/v1/notifications?limit=1", token: F.readerToken).json["next"] is Int)
        _ = try record("GET", "/v1/notifications", "/v1/notifications?subject=p-1", token: F.readerToken)
        _ = try record("GET", "/v1/notifications", "/v1/notifications?limit=x", token: F.readerToken)
        _ = try record("GET", "/v1/directory/users/{id}", "/v1/directory/users/u-rita", token: F.readerToken)
        _ = try record("GET", "/v1/directory/users/{id}", "/v1/directory/users/u-olivia", token: F.readerToken)
        _ = try record("GET", "/v1/directory/users/{id}", "/v1/directory/users/u-nobody", token: F.readerToken)
        _ = try record("GET", "/v1/directory/users", "/v1/directory/users?role=manager&limit=2", token: F.readerToken)
        _ = try record("GET", "/v1/directory/users", "/v1/directory/users?role=nope", token: F.readerToken)
        _ = try record("GET", "/v1/directory/groups/{id}", "/v1/directory/groups/sc-managers", token: F.readerToken)
        _ = try record("GET", "/v1/directory/groups/{id}", "/v1/directory/groups/nope", token: F.readerToken)
        _ = try record("GET", "/scim/v2/ServiceProviderConfig", "/scim/v2/ServiceProviderConfig", token: F.readerToken)
        _ = try record("GET", "/scim/v2/Schemas", "/scim/v2/Schemas", token: F.readerToken)
        _ = try record("GET", "/scim/v2/Users", "/scim/v2/Users?filter=userName%20eq%20%22x%22", token: F.readerToken)
        _ = try record("GET", "/scim/v2/Users/{id}", "/scim/v2/Users/nobody", token: F.readerToken)
        _ = try record("POST", "/scim/v2/Users", "/scim/v2/Users", body: #"{"userName": "x"}"#, token: F.readerToken,
                       contentType: "application/scim+json")
        _ = try record("GET", "/healthz", "/healthz", token: nil)
        _ = try record("GET", "/readyz", "/readyz", token: nil)
        _ = try record("GET", "/metrics", "/metrics", token: nil)

        // Both notices reach the good hook; both die at the refusing one (400 is permanent).
        #expect(Poll.until(timeout: 10) { receiver.requests().filter { $0.path == "/ok" }.count >= 2 })
        #expect(Poll.until(timeout: 10) {
            ((try? HTTPClient.get(herald.url("/v1/dead-letters"), token: F.readerToken))?.json["deadLetters"] as? [Any])?.count == 2
        })
        let deadLetters = try record("GET", "/v1/dead-letters", "/v1/dead-letters", token: F.readerToken)
        _ = try record("GET", "/v1/dead-letters", "/v1/dead-letters?after=nope", token: F.readerToken)
        let deliveryID = try #require((deadLetters.json["deadLetters"] as? [[String: Any]])?.first?["deliveryId"] as? String)
        #expect(try record("POST", "/v1/dead-letters/{id}/retry", "/v1/dead-letters/\(deliveryID)/retry").status == 202)
        _ = try record("POST", "/v1/dead-letters/{id}/retry", "/v1/dead-letters/msg_unknown/retry")
        _ = try record("POST", "/v1/dead-letters/{id}/retry", "/v1/dead-letters/\(deliveryID)/retry", token: F.readerToken)

        // Episodes: the ack link of a received webhook, then the API as user and operator.
        let told = try #require(receiver.requests().first { $0.path == "/ok" }?.json)
        let episode = try #require((told["episode"] as? [String: Any])?["id"] as? String)
        let user = try #require((told["recipients"] as? [[String: Any]])?.first?["id"] as? String)
        let link = try #require(EscalationKit.ackToken(told, user: user))
        let act = { (verb: String, user: String?) -> String in
            let body: [String: Any] = user.map { ["episode": episode, "user": $0] } ?? ["episode": episode]
            return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        }
        #expect(try record("POST", "/v1/episodes/ack-link", "/v1/episodes/ack-link", body: #"{"token": "\#(link)"}"#, token: nil).status == 200)
        _ = try record("POST", "/v1/episodes/ack-link", "/v1/episodes/ack-link", body: #"{"token": "forged.token"}"#, token: nil)
        let stale = try EscalationKit.signedToken(episode: episode, user: user, expiry: 1_000_000)
        _ = try record("POST", "/v1/episodes/ack-link", "/v1/episodes/ack-link", body: #"{"token": "\#(stale)"}"#, token: nil)
        _ = try record("POST", "/v1/episodes/ack", "/v1/episodes/ack", body: act("ack", user))
        _ = try record("POST", "/v1/episodes/ack", "/v1/episodes/ack", body: act("ack", "u-liam"))
        _ = try record("POST", "/v1/episodes/ack", "/v1/episodes/ack", body: #"{"episode": "r/s/9@1", "user": "u-liam"}"#)
        _ = try record("POST", "/v1/episodes/ack", "/v1/episodes/ack", body: #"{"user": "u-liam"}"#)
        _ = try record("POST", "/v1/episodes/ack", "/v1/episodes/ack", body: act("ack", user), token: F.readerToken)
        #expect(try record("POST", "/v1/episodes/unack", "/v1/episodes/unack", body: act("unack", user)).status == 200)
        _ = try record("POST", "/v1/episodes/unack", "/v1/episodes/unack", body: act("unack", user))
        #expect(try record("POST", "/v1/episodes/resolve", "/v1/episodes/resolve", body: act("resolve", nil)).status == 200)
        _ = try record("POST", "/v1/episodes/resolve", "/v1/episodes/resolve", body: act("resolve", nil))
        _ = try record("GET", "/v1/notifications", "/v1/notifications?subject=p-1", token: F.readerToken)
        // Was it delivered? The told notice (delivered to one hook, dead at the other), and episodes.
        let notice = try #require(told["id"] as? String)
        let delivery = try record("GET", "/v1/notifications/{id}", "/v1/notifications/\(notice)", token: F.readerToken)
        #expect(delivery.status == 200, "\(delivery.text)")
        _ = try record("GET", "/v1/notifications/{id}", "/v1/notifications/r/none/1@1/1-firing-t0", token: F.readerToken)
        #expect(try record("GET", "/v1/episodes", "/v1/episodes", token: F.readerToken).status == 200)
        _ = try record("GET", "/v1/episodes", "/v1/episodes?state=resolved&limit=1", token: F.readerToken)
        _ = try record("GET", "/v1/episodes", "/v1/episodes?state=closed", token: F.readerToken)

        // Silences.
        let silence = #"{"id": "s-doc", "matcher": {"ruleID": "utilisation-variance", "labels": {"env": "test"}}, "duration": "1h", "author": "ops", "comment": "documented"}"#
        #expect(try record("POST", "/v1/silences", "/v1/silences", body: silence).status == 201)
        _ = try record("POST", "/v1/silences", "/v1/silences", body: silence)
        _ = try record("POST", "/v1/silences", "/v1/silences", body: #"{"matcher": {}, "duration": "1h", "author": "ops", "comment": "c"}"#)
        _ = try record("GET", "/v1/silences", "/v1/silences", token: F.readerToken)
        _ = try record("DELETE", "/v1/silences/{id}", "/v1/silences/s-doc")
        _ = try record("DELETE", "/v1/silences/{id}", "/v1/silences/s-none")
        #expect(try record("DELETE", "/v1/silences/{id}", "/v1/silences/s-doc?purge=true").status == 204)
        _ = try record("DELETE", "/v1/silences/{id}", "/v1/silences/s-doc?purge=maybe")
        // The silence's audit records (added, expired, deleted) and the re-queue's.
        let changes = try record("GET", "/v1/notifications", "/v1/notifications?rule=utilisation-variance&limit=50", token: F.readerToken)
        let actions = Set((changes.json["notifications"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String })
        #expect(actions.isSuperset(of: ["silence", "expire-silence", "delete-silence", "retry-dead-letter"]), "\(actions)")

        // Answers outside any operation.
        observed.component("NotFound", try HTTPClient.get(herald.url("/v1/nothing")))
        observed.component("MethodNotAllowed", try HTTPClient.send("DELETE", herald.url("/v1/events"), token: F.writerToken))

        for webhook in receiver.requests() where webhook.path == "/ok" {
            observed.webhook(webhook)
        }
        let statuses = Set(observed.items.compactMap { $0["status"] as? Int })
        #expect(statuses.isSuperset(of: [200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429]))

        let result = try Python.run(mode: "check", input: try observed.json())
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("checked \(observed.items.count) observations"), "\(result.output)")
        #expect(herald.stop() == 0)
    }

    // MARK: - Helpers

    static func documentedOperations() throws -> Set<String> {
        let result = try Python.run(mode: "operations")
        guard result.status == 0, let list = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String] else {
            throw ApiTestFailure("listing the document's operations failed: \(result.output)")
        }
        return Set(list)
    }

    /// What the server and the receiver produced, as JSON for the checker.
    struct Observations {
        var items: [[String: Any]] = []

        mutating func response(_ method: String, _ template: String, _ response: HTTPClient.Response) {
            items.append(["kind": "operation", "method": method.lowercased(), "path": template, "status": response.status,
                          "headers": lowercased(response.headers), "body": response.text])
        }

        mutating func component(_ name: String, _ response: HTTPClient.Response) {
            items.append(["kind": "component", "response": name, "status": response.status,
                          "headers": lowercased(response.headers), "body": response.text])
        }

        /// A request the server accepted (2xx) or refused for its content (400/422).
        mutating func request(_ method: String, _ template: String, body: String?, query: [String: String] = [:],
                              _ response: HTTPClient.Response) {
            items.append(["kind": "request", "method": method.lowercased(), "path": template, "body": body ?? NSNull(),
                          "query": query, "status": response.status, "accepted": response.status < 300])
        }

        mutating func webhook(_ request: PythonReceiver.Request) {
            items.append(["kind": "webhook", "headers": lowercased(request.headers),
                          "body": String(decoding: request.bodyData, as: UTF8.self)])
        }

        private func lowercased(_ headers: [String: String]) -> [String: String] {
            Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        }

        func json() throws -> Data { try JSONSerialization.data(withJSONObject: items) }
    }

    /// Runs `openAPIChecker` with python3, bounded in time.
    enum Python {
        static let timeLimit: TimeInterval = 60

        struct Result {
            let status: Int32
            let output: String
        }

        static func run(mode: String, input: Data = Data()) throws -> Result {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-openapi-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let script = directory.appendingPathComponent("check.py")
            let inputFile = directory.appendingPathComponent("input.json")
            let outputFile = directory.appendingPathComponent("output.txt")
            try openAPIChecker.write(to: script, atomically: true, encoding: .utf8)
            try input.write(to: inputFile)
            _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
            let output = try FileHandle(forWritingTo: outputFile)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, mode, OpenAPITests.document.path, inputFile.path]
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = Date().addingTimeInterval(timeLimit)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw ApiTestFailure("the OpenAPI checker did not finish within \(timeLimit) s")
            }
            try output.close()
            let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            if process.terminationStatus == 3 { Issue.record("Python modules missing: \(text)") }
            return Result(status: process.terminationStatus, output: text)
        }
    }
}

/// The checker: `check.py <mode> <openapi.yaml> <input.json>`; exit 0 when all is well,
/// 1 with the problems, 3 when a Python module is missing.
/// - `validate`: validates the document as OpenAPI 3.1.
/// - `operations`: prints the JSON list of `"METHOD /path"` the document describes.
/// - `check`: validates each observation in the input (an operation's response, a
///   named component response, or a received webhook) against the document.
let openAPIChecker = #"""
import json, re, sys
try:
    import yaml
    import jsonschema
    from openapi_spec_validator import validate
except ImportError as error:
    print("missing Python module %s: install PyYAML, jsonschema and openapi-spec-validator (pip install openapi-spec-validator)" % error.name)
    sys.exit(3)

mode, doc_path, input_path = sys.argv[1], sys.argv[2], sys.argv[3]
with open(doc_path) as f:
    doc = yaml.safe_load(f)
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node

def schema_errors(schema, instance):
    rooted = dict(schema)
    rooted["components"] = doc["components"]
    validator = jsonschema.Draft202012Validator(rooted, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return ["%s at %s" % (e.message[:300], "/".join(str(p) for p in e.absolute_path)) for e in validator.iter_errors(instance)]

def check_headers(where, documented, headers, problems):
    for name, header in (documented or {}).items():
        header = deref(header)
        value = headers.get(name.lower())
        if value is None:
            if header.get("required"):
                problems.append("%s: documented header %s is missing" % (where, name))
            continue
        for error in schema_errors(header.get("schema", {}), value):
            problems.append("%s: header %s=%r: %s" % (where, name, value, error))

def check_body(where, content, observation, problems):
    body = observation.get("body", "")
    if not content:
        return
    content_type = observation["headers"].get("content-type", "")
    media = {key.split(";")[0].strip(): value for key, value in content.items()}
    received = content_type.split(";")[0].strip()
    if received not in media:
        problems.append("%s: content type %r is not documented (%s)" % (where, content_type, list(content)))
        return
    schema = media[received].get("schema", {})
    if received in ("application/json", "application/scim+json"):
        try:
            instance = json.loads(body)
        except ValueError as error:
            problems.append("%s: body is not JSON: %s" % (where, error))
            return
    else:
        instance = body
    for error in schema_errors(schema, instance):
        problems.append("%s: %s" % (where, error))

def documented_response(responses, status):
    for key in (str(status), "%dXX" % (status // 100), "default"):
        if key in responses:
            return deref(responses[key])
    return None

if mode == "validate":
    validate(doc)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        print("not an OpenAPI 3.1 document: openapi=%r" % doc.get("openapi"))
        sys.exit(1)
    print("OpenAPI 3.1 document is valid")
    sys.exit(0)

if mode == "operations":
    print(json.dumps(sorted("%s %s" % (method.upper(), path)
                            for path, item in doc.get("paths", {}).items() for method in METHODS if method in item)))
    sys.exit(0)

with open(input_path) as f:
    observations = json.load(f)
problems = []
for observation in observations:
    kind = observation["kind"]
    if kind == "operation":
        where = "%s %s -> %d" % (observation["method"].upper(), observation["path"], observation["status"])
        operation = doc["paths"].get(observation["path"], {}).get(observation["method"])
        if operation is None:
            problems.append("%s: operation not documented" % where)
            continue
        response = documented_response(operation.get("responses", {}), observation["status"])
        if response is None:
            problems.append("%s: status not documented (documented: %s)" % (where, sorted(operation["responses"])))
            continue
        check_headers(where, response.get("headers"), observation["headers"], problems)
        check_body(where, response.get("content"), observation, problems)
    elif kind == "component":
        where = "component %s -> %d" % (observation["response"], observation["status"])
        response = doc["components"]["responses"][observation["response"]]
        check_headers(where, response.get("headers"), observation["headers"], problems)
        check_body(where, response.get("content"), observation, problems)
    elif kind == "webhook":
        where = "webhook"
        operation = doc["webhooks"]["notification"]["post"]
        for parameter in operation.get("parameters", []):
            parameter = deref(parameter)
            if parameter["in"] == "header":
                check_headers(where, {parameter["name"]: parameter}, observation["headers"], problems)
        check_body(where, operation["requestBody"]["content"], observation, problems)
    elif kind == "request":
        # A request and whether the server accepted it: the document's request schemas
        # (body and query parameters) must agree (#17 item 11).
        method, path = observation["method"], observation["path"]
        where = "request %s %s %s %s" % (method.upper(), path, observation.get("body") or "", observation.get("query") or "")
        item = doc["paths"].get(path, {})
        operation = item.get(method)
        if operation is None:
            problems.append("%s: operation not documented" % where)
            continue
        errors = []
        if observation.get("body") is not None:
            body = deref(operation["requestBody"])["content"]["application/json"]["schema"]
            errors += schema_errors(body, json.loads(observation["body"]))
        parameters = [deref(p) for p in item.get("parameters", []) + operation.get("parameters", [])]
        for name, value in (observation.get("query") or {}).items():
            found = [p for p in parameters if p["name"] == name and p["in"] == "query"]
            if not found:
                problems.append("%s: query parameter %s not documented" % (where, name))
                continue
            schema = found[0].get("schema", {})
            instance = int(value) if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", value) else value
            errors += schema_errors(schema, instance)
        if observation["accepted"] and errors:
            problems.append("%s: the server accepted it (%d) but the document refuses it: %s" % (where, observation["status"], errors))
        if not observation["accepted"] and not errors:
            problems.append("%s: the server refused it (%d) but the document allows it" % (where, observation["status"]))
    else:
        problems.append("unknown observation kind %r" % kind)

for problem in problems:
    print(problem)
print("checked %d observations, %d problems" % (len(observations), len(problems)))
sys.exit(1 if problems else 0)
"""#
