import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldWeb

/// `/ui/silences`: the list (active and pending; ended ones with `?ended=1`), a new
/// silence from the form or from an episode's row, and Expire. Changes go through
/// `OperatorActions`, as `POST /v1/silences` and `DELETE /v1/silences/{id}` do, so they
/// are validated, applied and audited the same way.
extension OperatorRoutes {
    func silences(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = signedIn(request, respond) else { return }
        let now = Date()
        let showEnded = request.query["ended"] == "1"
        guard let records = try? store.silences(endingAfter: showEnded ? nil : now) else {
            return respond(WebPage(title: "Silences", body: ["Herald cannot read its store right now; try again in a minute."]).response(status: 503))
        }
        let rows = records.compactMap { record -> OperatorPages.SilenceRow? in
            guard let s = SilenceJSON.silence(record) else { return nil }
            return OperatorPages.SilenceRow(id: s.id, status: s.hasExpired(at: now) ? "expired" : s.isActive(at: now) ? "active" : "pending",
                                            matcher: Self.describe(s.matcher), starts: EpisodeView.readable(s.startsAt),
                                            ends: EpisodeView.readable(s.endsAt), author: s.author, comment: s.comment)
        }
        let notice = request.query["done"].flatMap { Self.silenceOutcomes[$0] }.map { Notice(.ok, $0) }
        let rules = holder.snapshot.config.rules.map { ($0.id, $0.name) }
        respond(OperatorPages.silences(rows, rules: rules, showEnded: showEnded, formToken: formToken(session), may: Self.permissions(session),
                                       who: session.tokenID, notice: notice).response())
    }

    /// What the query of the redirect after a change says happened.
    static let silenceOutcomes = [
        "created": "Silence created: matching notices are recorded but not sent until it ends.",
        "expired": "Silence expired: matching notices are sent again.",
    ]

    /// `rule=cpu, subject=p-1, label env=prod`.
    static func describe(_ m: Silence.Matcher) -> String {
        var parts: [String] = []
        if let v = m.ruleID { parts.append("rule=\(v)") }
        if let v = m.subjectID { parts.append("subject=\(v)") }
        if let v = m.subjectType { parts.append("subject type=\(v)") }
        parts += m.labels.sorted { $0.key < $1.key }.map { "label \($0.key)=\($0.value)" }
        return parts.joined(separator: ", ")
    }

    /// A new silence: from the silences page's form (`return=silences`), or from an
    /// episode's "Silence 1 h" button (rule and subject of the row).
    func silence(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (session, form) = changeForm(request, respond, needs: .admin) else { return }
        let fromPage = form["return"] == "silences"
        let back = fromPage ? "/ui/silences" : "/ui/"
        let actor = "operator:\(session.tokenID)"
        let now = Date()
        var matcher: [String: Any] = [:]
        for (field, key) in [("rule", "ruleID"), ("subject", "subjectID"), ("subjectType", "subjectType")] {
            if let value = form[field]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { matcher[key] = value }
        }
        if let label = form["label"]?.trimmingCharacters(in: .whitespaces), !label.isEmpty {
            guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                return respond(Self.nothingChanged("The label must be written NAME=VALUE, e.g. env=prod.", status: 400, back: back))
            }
            matcher["labels"] = [String(label[..<equals]): String(label[label.index(after: equals)...])]
        }
        let comment = form["comment"].flatMap { $0.isEmpty ? nil : $0 } ?? "from an episode in the operator UI"
        let body: [String: Any] = ["matcher": matcher, "duration": form["duration"] ?? "1h", "author": actor, "comment": comment]
        let silence: Silence
        switch SilenceJSON.parse(body, now: now, makeID: SilenceJSON.newID) {
        case .failure(let problem): return respond(Self.nothingChanged("That silence is not valid: \(problem.message).", status: 400, back: back))
        case .success(let parsed): silence = parsed
        }
        if let rule = silence.matcher.ruleID, let problem = holder.snapshot.config.unknownRuleProblem(rule) {
            return respond(Self.nothingChanged("That silence is not valid: \(problem).", status: 400, back: back))
        }
        switch actions.addSilence(silence, actor: actor, now: now) {
        case .success: respond(WebHeaders.seeOther(fromPage ? "/ui/silences?done=created" : "/ui/?done=silenced"))
        case .failure(.exists), .failure(.unknown): respond(Self.nothingChanged("A silence with that id exists already.", status: 409, back: back))
        case .failure(.unavailable): respond(Self.nothingChanged("Herald cannot save changes right now; try again in a minute.", status: 503, back: back))
        }
    }

    func expireSilence(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (session, form) = changeForm(request, respond, needs: .admin) else { return }
        switch actions.expireSilence(id: form["id"] ?? "", actor: "operator:\(session.tokenID)", now: Date()) {
        case .success: respond(WebHeaders.seeOther("/ui/silences?done=expired"))
        case .failure(.exists), .failure(.unknown): respond(Self.nothingChanged("There is no such silence.", status: 404, back: "/ui/silences"))
        case .failure(.unavailable): respond(Self.nothingChanged("Herald cannot save changes right now; try again in a minute.", status: 503, back: "/ui/silences"))
        }
    }
}
