import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldSupport
import HeraldWeb

/// The operator UI at `/ui/`: sign in with an API token (scope `read`; `admin` to act),
/// held as an `HttpOnly; SameSite=Strict` session cookie; see the episodes with filters
/// and acknowledge, give back or resolve them. Every state change is a POST carrying
/// the session's form token, committed through the same path as the API and audited as
/// `operator:<token id>`.
struct OperatorRoutes: Sendable {
    let evaluation: EvaluationLoop
    let store: any StateStore
    let holder: ConfigHolder
    let forms: FormToken
    let sessions: SessionTable
    let publicURL: PublicURL
    let logger: Logger

    /// The sign-in form's token is bound to this fixed value: there is no session yet.
    static let signInBinding = "sign-in"
    /// Most episodes one page shows.
    static let maxRows = 200

    func register(on router: inout Router) {
        // The router ignores a trailing '/': this serves `/ui` and `/ui/`.
        router.add("GET", "/ui/") { request, respond in episodes(request, respond) }
        router.add("GET", "/ui/sign-in") { _, respond in respond(signInPage(nil, status: 200)) }
        router.add("POST", "/ui/sign-in") { request, respond in signIn(request, respond) }
        router.add("POST", "/ui/sign-out") { request, respond in signOut(request, respond) }
        router.add("POST", "/ui/episodes/act") { request, respond in act(request, respond) }
        router.add("POST", "/ui/silences") { request, respond in silence(request, respond) }
        router.add("GET", "/ui/dead-letters") { request, respond in deadLetters(request, respond) }
        router.add("POST", "/ui/dead-letters/retry") { request, respond in retry(request, respond) }
    }

    private var secure: Bool { publicURL.base.lowercased().hasPrefix("https://") }

    private func signInPage(_ notice: Notice?, status: Int) -> HTTPResponse {
        OperatorPages.signIn(formToken: forms.token(purpose: "ui", binding: Self.signInBinding), notice: notice).response(status: status)
    }

    private func signIn(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let form = try? FormBody(request), forms.verify(form[FormToken.field], purpose: "ui", binding: Self.signInBinding) else {
            return respond(signInPage(Notice(.error, "The form has expired; please sign in again."), status: 403))
        }
        let token = form["token"] ?? ""
        let tokens = holder.snapshot.tokens
        guard let scopes = tokens.scopes(for: token), scopes.contains(ApiRoutes.Scope.read),
              let id = tokens.tokenID(for: token, preferring: ApiRoutes.Scope.admin) else {
            logger.notice("operator UI sign-in refused", ["remote": request.remoteAddress ?? "unknown"])
            return respond(signInPage(Notice(.error, "That token is not one Herald knows with the read scope."), status: 401))
        }
        let session = sessions.create(tokenID: id, scopes: scopes, now: Date())
        logger.notice("operator UI sign-in", ["token.id": id])
        respond(WebHeaders.seeOther("/ui/", headers: [("Set-Cookie", SessionTable.setCookie(session, secure: secure))]))
    }

    private func signOut(_ request: HTTPRequest, _ respond: HTTPResponder) {
        if let session = sessions.session(cookieHeader: request.header("cookie"), now: Date()),
           let form = try? FormBody(request), forms.verify(form[FormToken.field], purpose: "ui", binding: session.id) {
            sessions.remove(session.id)
        }
        respond(WebHeaders.seeOther("/ui/sign-in", headers: [("Set-Cookie", SessionTable.clearCookie(secure: secure))]))
    }

    private func episodes(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = sessions.session(cookieHeader: request.header("cookie"), now: Date()) else {
            return respond(WebHeaders.seeOther("/ui/sign-in"))
        }
        let filter = (state: request.query["state"] ?? "open", rule: request.query["rule"] ?? "", subject: request.query["subject"] ?? "")
        let (state, config, _) = evaluation.snapshot()
        let views = EpisodeView.all(state, config: config).filter { view in
            (filter.state.isEmpty || view.standing.rawValue == filter.state) && (filter.rule.isEmpty || view.key.ruleID == filter.rule)
                && (filter.subject.isEmpty || view.key.subjectID == filter.subject)
        }.prefix(Self.maxRows)
        let rows = views.map { view in
            OperatorPages.EpisodeRow(
                id: view.id, rule: view.ruleName, subject: view.subjectLabel, tier: view.tierName ?? "—", state: view.standing.rawValue,
                since: view.state.episodeStartedAt.map(EpisodeView.readable) ?? "—",
                told: view.state.told.map { EpisodeView.person($0, in: config.directory) }.joined(separator: ", "),
                delivery: deliverySummary(view), ruleID: view.key.ruleID, subjectID: view.key.subjectID)
        }
        let notice = request.query["done"].map { Notice(.ok, "Done: \($0).") }
        respond(OperatorPages.episodes(Array(rows), filter: filter, formToken: forms.token(purpose: "ui", binding: session.id),
                                       mayAct: session.scopes.contains(ApiRoutes.Scope.admin), who: session.tokenID,
                                       notice: notice).response())
    }

    /// The newest notice's delivery status ("delivered", "pending", …), or "—".
    private func deliverySummary(_ view: EpisodeView) -> String {
        guard let entry = try? store.auditPage(AuditFilter(subject: view.key.subjectID, rule: view.key.ruleID), limit: 20, after: nil)
            .items.first(where: { $0.record.notificationID.hasPrefix(view.id + "/") && Transition(rawValue: $0.record.transition) != nil }),
              let status = try? DeliveryStatus.read(entry.record.notificationID, suppressed: entry.record.suppressed != nil, store: store)
        else { return "—" }
        return "\(entry.record.transition): \(status.overall.rawValue.replacingOccurrences(of: "_", with: " "))"
    }

    /// The session and form of a state-changing POST by an admin, or nil after answering
    /// the redirect (no session) or the 403 (no form token, or no admin scope).
    private func adminForm(_ request: HTTPRequest, _ respond: HTTPResponder) -> (SessionTable.Session, FormBody)? {
        guard let session = sessions.session(cookieHeader: request.header("cookie"), now: Date()) else {
            respond(WebHeaders.seeOther("/ui/sign-in"))
            return nil
        }
        guard let form = try? FormBody(request), forms.verify(form[FormToken.field], purpose: "ui", binding: session.id) else {
            respond(WebPage(title: "Please try again", body: [
                "This form has expired, so nothing was changed. ",
                .element("a", [Attribute("href", "/ui/")], ["Back to the episodes"]),
            ]).response(status: 403))
            return nil
        }
        guard session.scopes.contains(ApiRoutes.Scope.admin) else {
            respond(WebPage(title: "Not allowed", body: ["Changes need a token with the admin scope."]).response(status: 403))
            return nil
        }
        return (session, form)
    }

    private func deadLetters(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = sessions.session(cookieHeader: request.header("cookie"), now: Date()) else {
            return respond(WebHeaders.seeOther("/ui/sign-in"))
        }
        guard let page = try? store.deadLetters(limit: Self.maxRows, after: nil) else {
            return respond(WebPage(title: "Dead letters", body: ["Herald cannot read its store right now; try again in a minute."]).response(status: 503))
        }
        let rows = page.items.map { entry in
            let d = entry.record
            return OperatorPages.DeadLetterRow(id: d.deliveryID, target: d.target, notice: d.notificationID, attempts: String(d.attempts),
                                               error: d.lastError, deadAt: EpisodeView.readable(d.deadAt))
        }
        let notice = request.query["done"].map { Notice(.ok, "Re-queued \($0): it will be sent again now.") }
        respond(OperatorPages.deadLetters(rows, formToken: forms.token(purpose: "ui", binding: session.id),
                                          mayAct: session.scopes.contains(ApiRoutes.Scope.admin), who: session.tokenID, notice: notice).response())
    }

    /// Puts a dead letter back in the outbox (same webhook id), as `POST /v1/dead-letters/{id}/retry`.
    private func retry(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (session, form) = adminForm(request, respond) else { return }
        let id = form["id"] ?? ""
        do {
            guard try store.requeueDeadLetter(deliveryID: id, now: Date()) else {
                return respond(WebPage(title: "Nothing was changed", body: ["There is no such dead letter (already retried?)."]).response(status: 404))
            }
            logger.notice("dead letter re-queued in the operator UI", ["delivery.id": id, "actor": "operator:\(session.tokenID)"])
            respond(WebHeaders.seeOther("/ui/dead-letters?done=" + (id.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? "")))
        } catch {
            respond(WebPage(title: "Nothing was changed", body: ["Herald cannot save changes right now; try again in a minute."]).response(status: 503))
        }
    }

    /// A silence for one rule and subject, made from an episode's row.
    private func silence(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (session, form) = adminForm(request, respond) else { return }
        let now = Date()
        let body: [String: Any] = ["matcher": ["ruleID": form["rule"] ?? "", "subjectID": form["subject"] ?? ""],
                                   "duration": form["duration"] ?? "1h", "author": "operator:\(session.tokenID)",
                                   "comment": "from the operator UI"]
        guard case .success(let silence) = SilenceJSON.parse(body, now: now, makeID: SilenceJSON.newID) else {
            return respond(WebPage(title: "Nothing was changed", body: ["That silence is not valid."]).response(status: 400))
        }
        do {
            _ = try store.addSilence(SilenceJSON.record(silence, createdAt: now))
            evaluation.reloadSilences()
            logger.notice("silence added in the operator UI", ["silence.id": silence.id, "author": silence.author])
            respond(WebHeaders.seeOther("/ui/?done=silenced"))
        } catch {
            respond(WebPage(title: "Nothing was changed", body: ["Herald cannot save changes right now; try again in a minute."])
                .response(status: 503))
        }
    }

    private func act(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let (session, form) = adminForm(request, respond) else { return }
        let action: EpisodeAction
        switch form["action"] {
        case "acknowledge": action = .acknowledge
        case "unacknowledge": action = .unacknowledge
        case "resolve": action = .resolve
        default: return respond(WebPage(title: "Unknown action", body: ["Use the buttons on the episodes page."]).response(status: 400))
        }
        let episode = form["episode"] ?? ""
        evaluation.act(action, episodeID: episode, by: .operator(session.tokenID)) { result in
            switch result {
            case .success: respond(WebHeaders.seeOther("/ui/?done=\(action.rawValue)"))
            case .failure(let failure):
                let (status, message) = AckPageRoutes.refusal(failure)
                respond(WebPage(title: "Nothing was changed", body: [
                    Notice(.error, message).html, .element("a", [Attribute("href", "/ui/")], ["Back to the episodes"]),
                ]).response(status: status))
            }
        }
    }
}
