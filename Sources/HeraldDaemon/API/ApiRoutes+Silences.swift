import Foundation
import HeraldCore
import HeraldServer
import HeraldStore

/// `GET /v1/silences` (read), `POST /v1/silences` (admin), `DELETE /v1/silences/{id}`
/// (admin). A change is written to the store and then applied by the evaluation before
/// the answer, so a notification committed after a 201 already sees the silence.
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
        do {
            guard try store.addSilence(SilenceJSON.record(silence, createdAt: now)) else {
                return respond(.error(status: 409, code: "silence_exists", message: "a silence with id '\(silence.id)' exists already"))
            }
            evaluation.reloadSilences()
            logger.notice("silence added", ["silence.id": silence.id, "author": silence.author,
                                            "ends": NotificationJSON.timestamp(silence.endsAt)])
            respond(Self.json(SilenceJSON.object(silence, createdAt: now, now: now), status: 201))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }

    /// Expires the silence (its end becomes now); the record stays, so audit entries
    /// suppressed by it keep a silence to point at. Expiring an ended one changes nothing.
    func expireSilence(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let now = Date()
        do {
            guard let record = try store.silence(id: id), let silence = SilenceJSON.silence(record) else {
                return respond(.error(status: 404, code: "unknown_silence", message: "no silence '\(id)'"))
            }
            let expired = SilenceJSON.expired(silence, at: now)
            if expired != silence {
                try store.replaceSilence(SilenceJSON.record(expired, createdAt: record.createdAt))
                evaluation.reloadSilences()
                logger.notice("silence expired by the API", ["silence.id": id])
            }
            respond(Self.json(SilenceJSON.object(expired, createdAt: record.createdAt, now: now)))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }
}
