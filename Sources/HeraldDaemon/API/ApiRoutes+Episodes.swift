import Foundation
import HeraldCore
import HeraldServer

/// `POST /v1/episodes/{ack,unack,resolve}` and `POST /v1/episodes/ack-link`.
///
/// The episode id is in the JSON body (`{"episode": "...", "user": "u-1"}`): episode ids
/// contain `/` (`rule/subject/number@start`), and libmicrohttpd percent-decodes the path
/// before routing, so no escaping would keep one in a single path segment.
///
/// Who acts: with `user`, that person (token scope `ack` or `admin`; the core checks the
/// person was told in the episode or holds one of the rule's `acknowledgeRights`);
/// without `user`, the operator behind an `admin` token, recorded as
/// `operator:<token id>`. Through an ack link, the person the link was made for.
extension ApiRoutes {
    /// Most bytes of an action body: an episode id and a user id, with room to spare.
    static let maxActionBodyBytes = 16 * 1024

    func episodeAction(_ action: EpisodeAction, _ request: HTTPRequest, _ respond: @escaping HTTPResponder,
                       auth: BearerAuthentication) {
        let isAdmin = auth.check(request, requiring: Scope.admin) == nil
        if !isAdmin, let refusal = auth.check(request, requiring: Scope.ack) { return respond(refusal) }
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        let body: [String: Any]
        switch Self.actionBody(request.body, fields: ["episode", "user"]) {
        case .failure(let refusal): return respond(refusal.response)
        case .success(let object): body = object
        }
        guard let episode = body["episode"] as? String, !episode.isEmpty else {
            return respond(Self.invalidField("episode", "'episode' (the episode id from a notification) is required"))
        }
        let actor: EpisodeActor
        if let user = body["user"] as? String, !user.isEmpty {
            actor = .user(user)
        } else if isAdmin, let token = Self.bearerToken(request),
                  let id = holder.snapshot.tokens.tokenID(for: token, preferring: Scope.admin) {
            actor = .operator(id)
        } else {
            return respond(Self.invalidField("user", "'user' (who acts) is required unless the token has the 'admin' scope"))
        }
        evaluation.act(action, episodeID: episode, by: actor) { respond(Self.response(for: $0)) }
    }

    func ackLink(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        let body: [String: Any]
        switch Self.actionBody(request.body, fields: ["token"]) {
        case .failure(let refusal): return respond(refusal.response)
        case .success(let object): body = object
        }
        guard let token = body["token"] as? String, !token.isEmpty else {
            return respond(Self.invalidField("token", "'token' (the ack token from a webhook) is required"))
        }
        switch holder.snapshot.ackLinks.verify(token, now: Date()) {
        case .failure(.forged):
            metrics.increment(DaemonMetrics.ackLinksRefused, [("reason", "invalid")], help: "Ack link tokens refused, by reason.")
            respond(.error(status: 403, code: "invalid_ack_token", message: "the ack token is not one Herald issued"))
        case .failure(.expired(let claims)):
            metrics.increment(DaemonMetrics.ackLinksRefused, [("reason", "expired")], help: "Ack link tokens refused, by reason.")
            respond(.error(status: 410, code: "ack_token_expired",
                           message: "the ack token expired at \(NotificationJSON.timestamp(claims.expiresAt))"))
        case .success(let claims):
            evaluation.act(.acknowledge, episodeID: claims.episode, by: .user(claims.user)) { respond(Self.response(for: $0)) }
        }
    }

    /// The body as an object with only `fields` (strings), or the 400/413/422 to send.
    static func actionBody(_ data: Data, fields: Set<String>) -> Result<[String: Any], Refusal> {
        guard data.count <= maxActionBodyBytes else {
            return .failure(Refusal(.error(status: 413, code: "body_too_large", message: "an action body is at most \(maxActionBodyBytes) bytes")))
        }
        guard let value = try? JSONSerialization.jsonObject(with: data) else {
            return .failure(Refusal(.error(status: 400, code: "malformed_json", message: "the body is not valid JSON")))
        }
        guard let object = value as? [String: Any] else {
            return .failure(Refusal(invalidField("(body)", "the body must be a JSON object")))
        }
        for (key, member) in object.sorted(by: { $0.key < $1.key }) {
            guard fields.contains(key) else { return .failure(Refusal(invalidField(key, "unknown key '\(key)'"))) }
            guard member is String else { return .failure(Refusal(invalidField(key, "'\(key)' must be a string"))) }
        }
        return .success(object)
    }

    /// A request refused before it reached the evaluation, with the answer to send.
    struct Refusal: Error {
        let response: HTTPResponse
        init(_ response: HTTPResponse) { self.response = response }
    }

    static func invalidField(_ field: String, _ message: String, code: String = "invalid_request") -> HTTPResponse {
        .error(status: 422, code: code, message: message, details: [(path: field, message: message)])
    }

    /// 200 with what the action did; 404/403/409 for the core's refusals; 503 when the
    /// store could not commit.
    static func response(for result: Result<EvaluationLoop.ActionResult, EvaluationLoop.ActionFailure>) -> HTTPResponse {
        switch result {
        case .success(let done):
            let state = done.state
            return json([
                "episode": done.episodeID, "action": done.action.rawValue, "actor": done.actor, "changed": done.changed,
                "tier": done.tierName.map { $0 as Any } ?? NSNull(),
                "acknowledgedBy": state.acknowledgedBy.map { $0 as Any } ?? NSNull(),
                "acknowledgedAt": state.acknowledgedAt.map { NotificationJSON.timestamp($0) as Any } ?? NSNull(),
                "escalationStep": state.escalationStep.map { $0 as Any } ?? NSNull(),
                "escalationDueAt": state.escalationDueAt.map { NotificationJSON.timestamp($0) as Any } ?? NSNull(),
                "notifications": done.notifications,
            ])
        case .failure(.refused(let refusal)):
            let status = switch refusal.code {
            case .unknownEpisode: 404
            case .notAllowed: 403
            case .episodeEnded, .alreadyAcknowledged, .notAcknowledged: 409
            }
            return .error(status: status, code: refusal.code.rawValue, message: refusal.message)
        case .failure(.unavailable(let why)):
            return .error(status: 503, code: "unavailable", message: "\(why); nothing was changed, retry later", headers: [("Retry-After", "5")])
        }
    }

    /// The token of `Authorization: Bearer <token>` (already checked by `auth`).
    static func bearerToken(_ request: HTTPRequest) -> String? {
        guard let header = request.header("authorization") else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
}
