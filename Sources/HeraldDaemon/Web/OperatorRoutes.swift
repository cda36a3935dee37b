import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldSupport
import HeraldWeb

/// The operator UI at `/ui/`: sign in with an API token, held as an `HttpOnly;
/// SameSite=Strict` session cookie. Any token with the `read` scope may look at every
/// page; acknowledging, giving back and resolving episodes needs `ack` (or `admin`);
/// silences and dead-letter re-queues need `admin` — the scopes the API asks for the
/// same changes. Every state change is a POST carrying the session's form token, made
/// through the same path as the API and audited as `operator:<token id>`. The other
/// pages are in `OperatorRoutes+*.swift`.
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
        router.add("GET", "/ui/audit") { request, respond in audit(request, respond) }
        router.add("GET", "/ui/silences") { request, respond in silences(request, respond) }
        router.add("POST", "/ui/silences") { request, respond in silence(request, respond) }
        router.add("POST", "/ui/silences/expire") { request, respond in expireSilence(request, respond) }
        router.add("GET", "/ui/dead-letters") { request, respond in deadLetters(request, respond) }
        router.add("POST", "/ui/dead-letters/retry") { request, respond in retry(request, respond) }
        router.add("GET", "/ui/directory") { request, respond in directory(request, respond) }
    }

    /// The shared path of hand-made changes (also the API's).
    var actions: OperatorActions { OperatorActions(evaluation: evaluation, store: store, logger: logger) }

    /// What `session`'s token may change.
    static func permissions(_ session: SessionTable.Session) -> OperatorPages.Permissions {
        OperatorPages.Permissions(episodes: session.scopes.contains(ApiRoutes.Scope.ack), admin: session.scopes.contains(ApiRoutes.Scope.admin))
    }

    /// The form token of `session`'s pages.
    func formToken(_ session: SessionTable.Session) -> String { forms.token(purpose: "ui", binding: session.id) }

    /// The signed-in session, or nil after answering the redirect to the sign-in page.
    func signedIn(_ request: HTTPRequest, _ respond: HTTPResponder) -> SessionTable.Session? {
        guard let session = sessions.session(cookieHeader: request.header("cookie"), now: Date()) else {
            respond(WebHeaders.seeOther("/ui/sign-in"))
            return nil
        }
        return session
    }

    /// A page saying nothing changed, with a way back.
    static func nothingChanged(_ message: String, status: Int, back: String) -> HTTPResponse {
        WebPage(title: "Nothing was changed", body: [
            Notice(.error, message).html, .element("a", [Attribute("href", back)], ["Back"]),
        ]).response(status: status)
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
        guard let session = signedIn(request, respond) else { return }
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
        respond(OperatorPages.episodes(Array(rows), filter: filter, formToken: formToken(session), may: Self.permissions(session),
                                       who: session.tokenID, notice: notice).response())
    }

    /// The newest notice's delivery status ("delivered", "pending", …), or "—".
    private func deliverySummary(_ view: EpisodeView) -> String {
        guard let entry = try? store.auditPage(AuditFilter(subject: view.key.subjectID, rule: view.key.ruleID), limit: 20, after: nil)
            .items.first(where: { $0.record.notificationID.hasPrefix(view.id + "/") && Transition(rawValue: $0.record.transition) != nil }),
              let status = try? DeliveryStatus.read(entry.record.notificationID, suppressed: entry.record.suppressed != nil, store: store)
        else { return "—" }
        return "\(entry.record.transition): \(status.overall.rawValue.replacingOccurrences(of: "_", with: " "))"
    }

    /// What a state-changing POST needs: any session may act on episodes if its token
    /// has `ack` or `admin`; silences and re-queues need `admin`.
    enum Needs { case episodes, admin }

    /// The session and form of a state-changing POST, or nil after answering the redirect
    /// (no session), the 403 (no or wrong form token, or the token lacks the scope).
    func changeForm(_ request: HTTPRequest, _ respond: HTTPResponder, needs: Needs) -> (SessionTable.Session, FormBody)? {
        guard let session = signedIn(request, respond) else { return nil }
        guard let form = try? FormBody(request), forms.verify(form[FormToken.field], purpose: "ui", binding: session.id) else {
            respond(WebPage(title: "Please try again", body: [
                "This form has expired, so nothing was changed. ",
                .element("a", [Attribute("href", "/ui/")], ["Back to the episodes"]),
            ]).response(status: 403))
            return nil
        }
        let may = Self.permissions(session)
        guard needs == .episodes ? may.episodes : may.admin else {
            let scope = needs == .episodes ? "the ack or admin scope" : "the admin scope"
            logger.notice("operator UI change refused for want of a scope", ["token.id": session.tokenID, "path": request.path])
            respond(WebPage(title: "Not allowed", body: [.text("This change needs a token with \(scope); yours (\(session.tokenID)) may only do what its page shows.")])
                .response(status: 403))
            return nil
        }
        return (session, form)
    }

    private func act(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let (session, form) = changeForm(request, respond, needs: .episodes) else { return }
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
