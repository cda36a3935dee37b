import Foundation
import HeraldCore
import HeraldServer
import HeraldStore

/// `GET /v1/silences` (read), `POST /v1/silences` (admin), `DELETE /v1/silences/{id}`
/// (admin). A change is written to the store and then applied by the evaluation before
/// the answer, so a notification committed after a 201 already sees the silence; each
/// change leaves an audit record naming the token (`OperatorActions`).
extension ApiRoutes {
    /// Most bytes of a silence body: a matcher, a comment and an author.
    static let maxSilenceBodyBytes = 64 * 1024

    func listSilences(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let now = Date()
        do {
            let items = try store.silences().compactMap { record -> [String: Any]? in
                SilenceJSON.silence(record).map { SilenceJSON.object($0, createdAt: record.createdAt, now: now) }
            }
            respond(Self.json(["silences": items]))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }

    func createSilence(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        guard request.body.count <= Self.maxSilenceBodyBytes else {
            return respond(.error(status: 413, code: "body_too_large", message: "a silence is at most \(Self.maxSilenceBodyBytes) bytes"))
        }
        guard let value = try? JSONSerialization.jsonObject(with: request.body) else {
            return respond(.error(status: 400, code: "malformed_json", message: "the body is not valid JSON"))
        }
        let now = Date()
        let silence: Silence
        switch SilenceJSON.parse(value, now: now, makeID: SilenceJSON.newID) {
        case .failure(let problem): return respond(Self.invalidField(problem.field, problem.message, code: "invalid_silence"))
        case .success(let parsed): silence = parsed
        }
        if let ruleID = silence.matcher.ruleID, let problem = holder.snapshot.config.unknownRuleProblem(ruleID) {
            return respond(Self.invalidField("matcher.ruleID", problem, code: "invalid_silence"))
        }
        switch actions.addSilence(silence, actor: operatorName(request), now: now) {
        case .success: respond(Self.json(SilenceJSON.object(silence, createdAt: now, now: now), status: 201))
        case .failure(.exists): respond(.error(status: 409, code: "silence_exists", message: "a silence with id '\(silence.id)' exists already"))
        case .failure(.unknown): respond(.error(status: 404, code: "unknown_silence", message: "no silence '\(silence.id)'"))
        case .failure(.unavailable(let error)): respond(Self.storeUnavailable(error))
        }
    }

    /// Expires the silence (its end becomes now); the record stays, so audit entries
    /// suppressed by it keep a silence to point at. Expiring an ended one changes nothing.
    /// With `?purge=true` the silence is deleted for good instead (`herald silences
    /// delete --url`): 204.
    func expireSilence(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let now = Date()
        let purge = request.query["purge"]
        guard purge == nil || purge == "true" || purge == "false" else {
            return respond(.error(status: 400, code: "bad_query", message: "'purge' must be true or false",
                                  details: [(path: "query.purge", message: "'\(purge!.prefix(16))' is not true or false")]))
        }
        let failed: (OperatorActions.Failure) -> Void = { failure in
            switch failure {
            case .unavailable(let error): respond(Self.storeUnavailable(error))
            case .exists, .unknown: respond(.error(status: 404, code: "unknown_silence", message: "no silence '\(id)'"))
            }
        }
        if purge == "true" {
            switch actions.deleteSilence(id: id, actor: operatorName(request), now: now) {
            case .success: respond(HTTPResponse(status: 204, headers: [], body: Data()))
            case .failure(let failure): failed(failure)
            }
            return
        }
        switch actions.expireSilence(id: id, actor: operatorName(request), now: now) {
        case .success(let (expired, createdAt)): respond(Self.json(SilenceJSON.object(expired, createdAt: createdAt, now: now)))
        case .failure(let failure): failed(failure)
        }
    }

    /// The shared path of hand-made changes (also the operator UI's).
    var actions: OperatorActions { OperatorActions(evaluation: evaluation, store: store, logger: logger) }

    /// `operator:<token id>` for the admin token of `request` (already checked by the router).
    func operatorName(_ request: HTTPRequest) -> String {
        let id = Self.bearerToken(request).flatMap { holder.snapshot.tokens.tokenID(for: $0, preferring: Scope.admin) }
        return "operator:\(id ?? "?")"
    }
}
