import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldSupport

/// The HTTP API (docs/openapi.yaml): routes, authentication and the meaning of each
/// request. Transport concerns (limits, keep-alive, 404/405) live in HeraldServer.
struct ApiRoutes: Sendable {
    let evaluation: EvaluationLoop
    let store: any StateStore
    let holder: ConfigHolder
    let scim: ScimService
    let metrics: MetricsRegistry
    let logger: Logger
    /// Whether the instances sharing the store run the same config (nil: not watched).
    var configAgreement: ConfigAgreement?

    /// Scopes, as written in the config's `server.tokens[].scopes`.
    enum Scope {
        static let eventsWrite = "events:write"
        static let read = "read"
        static let admin = "admin"
        /// Acknowledge, unacknowledge or resolve an episode on behalf of a named user.
        static let ack = "ack"
        /// Provision users and groups through SCIM.
        static let directoryWrite = "directory:write"
    }

    func router() -> Router {
        let auth = BearerAuthentication(verifier: CurrentTokens(holder: holder))
        var router = Router()
        router.add("GET", "/healthz") { _, respond in respond(.json(["status": "ok"])) }
        router.add("GET", "/readyz") { _, respond in respond(readiness()) }
        router.add("GET", "/metrics") { _, respond in
            respond(.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
        }
        router.add("POST", "/v1/events", auth.requiring(Scope.eventsWrite, RequestChecks.jsonBody(ClosureHandler(postEvents))))
        // Bridges authenticate themselves: basic auth or a bearer token, per the config.
        router.add("POST", "/v1/bridges/alertmanager", bridgeHandler(.alertmanager))
        router.add("POST", "/v1/bridges/grafana", bridgeHandler(.grafana))
        router.add("POST", "/v1/explain", auth.requiring(Scope.read, RequestChecks.jsonBody(ClosureHandler(postExplain))))
        router.add("GET", "/v1/notifications", auth.requiring(Scope.read, ClosureHandler(listNotifications)))
        // `{id...}`: notification ids contain '/' (`rule/subject/episode@start/n-transition-tier`).
        router.add("GET", "/v1/notifications/{id...}", auth.requiring(Scope.read, ClosureHandler(notificationStatus)))
        router.add("GET", "/v1/episodes", auth.requiring(Scope.read, ClosureHandler(listEpisodes)))
        // `{id...}`: a user id may contain '/', which arrives as more path segments.
        router.add("GET", "/v1/directory/users", auth.requiring(Scope.read, ClosureHandler(listDirectoryUsers)))
        router.add("GET", "/v1/directory/users/{id...}", auth.requiring(Scope.read, ClosureHandler(directoryUser)))
        router.add("GET", "/v1/directory/groups/{id}", auth.requiring(Scope.read, ClosureHandler(directoryGroup)))
        router.add("GET", "/v1/dead-letters", auth.requiring(Scope.read, ClosureHandler(listDeadLetters)))
        router.add("POST", "/v1/dead-letters/{id}/retry", auth.requiring(Scope.admin, ClosureHandler(retryDeadLetter)))
        // Episode ids contain '/', which MHD decodes even when sent as %2F, so the id
        // travels in the JSON body rather than the path (see ApiRoutes+Episodes).
        router.add("POST", "/v1/episodes/ack", RequestChecks.jsonBody(ClosureHandler { episodeAction(.acknowledge, $0, $1, auth: auth) }))
        router.add("POST", "/v1/episodes/unack", RequestChecks.jsonBody(ClosureHandler { episodeAction(.unacknowledge, $0, $1, auth: auth) }))
        router.add("POST", "/v1/episodes/resolve", RequestChecks.jsonBody(ClosureHandler { episodeAction(.resolve, $0, $1, auth: auth) }))
        // No bearer token: the signed ack token in the body is the credential.
        router.add("POST", "/v1/episodes/ack-link", ClosureHandler(ackLink))
        router.add("GET", "/v1/silences", auth.requiring(Scope.read, ClosureHandler(listSilences)))
        router.add("POST", "/v1/silences", auth.requiring(Scope.admin, RequestChecks.jsonBody(ClosureHandler(createSilence))))
        router.add("DELETE", "/v1/silences/{id...}", auth.requiring(Scope.admin, ClosureHandler(expireSilence)))
        addScimRoutes(to: &router, auth: auth)
        return router
    }

    private func postExplain(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        let (state, config, silences) = evaluation.snapshot()
        do {
            let events = try EventDecoder(maxBatch: config.server.maxBatchEvents).decode(request.body)
            let explanation = Explanation.run(events, config: config, state: state, now: Date(), silences: silences)
            respond(Self.json(ExplanationRenderer.json(explanation, config: config)))
        } catch {
            respond(Self.response(for: error))
        }
    }

    // MARK: - Reading

    private func listNotifications(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let paging = Paging(request, maximum: StoreLimits.maxPageSize, respond: respond) else { return }
        var since: Date?
        if let text = request.query["since"] {
            guard let parsed = EventDecoder.parseTimestamp(text) else {
                return respond(.error(status: 400, code: "bad_query", message: "'since' must be an RFC 3339 timestamp",
                                      details: [(path: "query.since", message: "'\(text.prefix(64))' is not an RFC 3339 timestamp")]))
            }
            since = parsed
        }
        do {
            let page = try store.auditPage(subject: request.query["subject"], rule: request.query["rule"], since: since,
                                           limit: paging.limit, after: paging.after)
            let items = page.items.map { entry -> [String: Any] in
                var object = (try? JSONSerialization.jsonObject(with: entry.record.payload)) as? [String: Any] ?? [:]
                object["recordedAt"] = NotificationJSON.timestamp(entry.record.createdAt)
                object["cursor"] = entry.cursor
                if let silence = entry.record.suppressed { object["suppressedBy"] = silence }
                return object
            }
            respond(Self.json(["notifications": items, "next": page.next.map { $0 as Any } ?? NSNull()]))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }

    private func directoryUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let directory = holder.snapshot.config.directory
        guard let u = directory.user(id) else {
            return respond(.error(status: 404, code: "unknown_user", message: "no user '\(id)' in the directory"))
        }
        respond(Self.json(DirectoryJSON.user(u, in: directory)))
    }

    private func listDeadLetters(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let paging = Paging(request, maximum: StoreLimits.maxPageSize, respond: respond) else { return }
        do {
            let page = try store.deadLetters(limit: paging.limit, after: paging.after)
            let (runtime, base) = (holder.snapshot, evaluation.publicURL.base)
            let notices = LastNotice()
            let items = page.items.map { DeadLetterJSON.object($0) { DeliveryBody.data($0, runtime: runtime, publicURL: base, notices: notices) } }
            respond(Self.json(["deadLetters": items, "next": page.next.map { $0 as Any } ?? NSNull()]))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }

    private func retryDeadLetter(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        switch actions.retryDeadLetter(id: id, actor: operatorName(request), now: Date()) {
        case .success: respond(.json(status: 202, ["requeued": id]))
        case .failure(.unavailable(let error)): respond(Self.storeUnavailable(error))
        case .failure(.exists), .failure(.unknown): respond(.error(status: 404, code: "unknown_dead_letter", message: "no dead letter '\(id)'"))
        }
    }

    // MARK: - Operations

    private func readiness() -> HTTPResponse {
        var problems: [String] = []
        if !store.checkWritable() { problems.append("the state store is not writable") }
        if let problem = evaluation.commitProblem() { problems.append(problem) }
        if !evaluation.isResponsive(timeout: 1) { problems.append("the evaluation queue is not responding") }
        guard problems.isEmpty else {
            return .error(status: 503, code: "not_ready", message: problems.joined(separator: "; "), headers: [("Retry-After", "5")])
        }
        // A target at its backlog limit does not make Herald unready (it still accepts and
        // records everything); the body names it for whoever looks.
        let full = evaluation.backlog.snapshot().full.sorted()
        return .json(Readiness(status: "ready", backlogFull: full.isEmpty ? nil : full,
                               configHashes: configAgreement?.disagreement))
    }

    // MARK: - Helpers

    static func json(_ object: Any, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: ExplanationRenderer.serialize(object))
    }

    static func storeUnavailable(_ error: StoreError) -> HTTPResponse {
        .error(status: 503, code: "unavailable", message: "the state store cannot answer (\(error.code.rawValue))", headers: [("Retry-After", "5")])
    }
}

/// The body of a 200 from /readyz.
struct Readiness: Encodable {
    let status: String
    /// Targets whose backlog is at `maxBacklog` (new deliveries become dead letters).
    let backlogFull: [String]?
    /// The config file hashes of the instances sharing the store, when they differ.
    let configHashes: [String]?
}

/// `limit` and `after` query parameters, validated.
struct Paging {
    static let defaultLimit = 100
    let limit: Int
    let after: Int64?

    init?(_ request: HTTPRequest, maximum: Int, respond: HTTPResponder) {
        var limit = Paging.defaultLimit
        if let text = request.query["limit"] {
            guard let value = Int(text), (1...maximum).contains(value) else {
                respond(.error(status: 400, code: "bad_query", message: "'limit' must be a whole number from 1 to \(maximum)",
                               details: [(path: "query.limit", message: "'\(text.prefix(32))' is not a whole number from 1 to \(maximum)")]))
                return nil
            }
            limit = value
        }
        var after: Int64?
        if let text = request.query["after"] {
            guard let value = Int64(text) else {
                respond(.error(status: 400, code: "bad_query", message: "'after' must be a cursor from a previous page",
                               details: [(path: "query.after", message: "'\(text.prefix(32))' is not a cursor")]))
                return nil
            }
            after = value
        }
        self.limit = limit
        self.after = after
    }
}

/// Token lookups always use the config currently loaded (tokens change on reload).
struct CurrentTokens: TokenVerifier {
    let holder: ConfigHolder
    func scopes(for token: String) -> Set<String>? { holder.snapshot.tokens.scopes(for: token) }
}
