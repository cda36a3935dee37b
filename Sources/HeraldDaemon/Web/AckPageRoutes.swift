import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer
import HeraldSupport
import HeraldWeb

/// `GET /ack/<token>` and `POST /ack/<token>`: the page a person reaches by tapping the
/// link in a notification, and the form it posts.
///
/// GET never changes anything (chat apps fetch links to preview them). The ack token
/// stays the credential (no sign-in); the form also carries a token bound to the ack
/// token (`FormToken`), so another site cannot post it for the person. After a POST the
/// browser is redirected to the GET (303), which shows the outcome, so a reload does not
/// post again.
struct AckPageRoutes: Sendable {
    let evaluation: EvaluationLoop
    let holder: ConfigHolder
    let forms: FormToken
    let metrics: MetricsRegistry

    static let purpose = "ack"

    func register(on router: inout Router) {
        router.add("GET", "/ack/{token}") { request, respond in show(request, respond) }
        router.add("POST", "/ack/{token}") { request, respond in post(request, respond) }
        router.add("GET", Stylesheet.path) { _, respond in respond(Stylesheet.response()) }
    }

    /// What the query of the redirect after a POST says happened.
    static let outcomes: [String: String] = [
        "acknowledge": "You acknowledged this episode: its escalation has stopped.",
        "resolve": "You resolved this episode.",
    ]

    private func show(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (token, claims) = verified(request, respond) else { return }
        let notice = request.query["done"].flatMap { Self.outcomes[$0] }.map { Notice(.ok, $0) }
        let (state, config, _) = evaluation.snapshot()
        respond(page(token: token, claims: claims, state: state, config: config, notice: notice).response())
    }

    private func post(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let (token, claims) = verified(request, respond) else { return }
        let form: FormBody
        do {
            form = try FormBody(request)
        } catch {
            return respond(WebPage(title: "Not a form", body: ["This address takes the acknowledge page's form only."])
                .response(status: error == .notAForm ? 415 : (error == .tooLarge ? 413 : 400)))
        }
        let reload = AckLinkSigner.pagePrefix + token
        guard forms.verify(form[FormToken.field], purpose: Self.purpose, binding: token) else {
            metrics.increment("herald_web_forms_refused_total", [("page", "ack")], help: "Form posts refused for a missing or wrong form token.")
            return respond(AckPage.staleForm(reload: reload).response(status: 403))
        }
        let action: EpisodeAction
        switch form["action"] {
        case "acknowledge": action = .acknowledge
        case "resolve": action = .resolve
        default:
            return respond(WebPage(title: "Unknown action", body: ["Use the Acknowledge or Resolve button on the page."]).response(status: 400))
        }
        evaluation.act(action, episodeID: claims.episode, by: .user(claims.user)) { [self] result in
            switch result {
            case .success:
                respond(WebHeaders.seeOther(reload + "?done=" + action.rawValue))
            case .failure(let failure):
                let (status, message) = Self.refusal(failure)
                let (state, config, _) = evaluation.snapshot()
                respond(page(token: token, claims: claims, state: state, config: config, notice: Notice(.error, message))
                    .response(status: status))
            }
        }
    }

    /// The token and its claims, or nil after answering the 403/410 page.
    private func verified(_ request: HTTPRequest, _ respond: HTTPResponder) -> (String, AckLinkSigner.Claims)? {
        let token = request.pathParameters["token"] ?? ""
        switch holder.snapshot.ackLinks.verify(token, now: Date()) {
        case .success(let claims):
            return (token, claims)
        case .failure(.forged):
            metrics.increment("herald_ack_links_refused_total", [("reason", "invalid")], help: "Ack link tokens refused, by reason.")
            respond(AckPage.forged().response(status: 403))
        case .failure(.expired(let claims)):
            metrics.increment("herald_ack_links_refused_total", [("reason", "expired")], help: "Ack link tokens refused, by reason.")
            respond(AckPage.expired(at: EpisodeView.readable(claims.expiresAt)).response(status: 410))
        }
        return nil
    }

    private func page(token: String, claims: AckLinkSigner.Claims, state: EvaluationState, config: HeraldConfig,
                      notice: Notice?) -> WebPage {
        let directory = config.directory
        let person = EpisodeView.person(claims.user, in: directory)
        guard let key = state.key(forEpisode: claims.episode), let ruleState = state.rules[key] else {
            return WebPage(title: "This episode is over", body: [
                notice?.html ?? .empty,
                .element("p", [], ["A later episode has started, or Herald no longer knows this one. Nothing is left to do through this link."]),
            ])
        }
        let view = EpisodeView(key: key, state: ruleState, config: config)
        let standing: AckPage.Standing = switch view.standing {
        case .open: .open
        case .acknowledged:
            .acknowledged(by: EpisodeView.person(ruleState.acknowledgedBy ?? "?", in: directory),
                          at: ruleState.acknowledgedAt.map(EpisodeView.readable) ?? "?")
        case .resolved: .resolved
        }
        let mayAct = config.rule(id: key.ruleID).map { Evaluator(config: config).mayAct(.user(claims.user), on: ruleState, of: $0) } ?? false
        let model = AckPage.Model(
            ruleName: view.ruleName, subject: view.subjectLabel, tier: view.tierName,
            value: ruleState.lastEvent.map { "\($0.metric) = \(EpisodeView.readable($0.value))" },
            since: ruleState.episodeStartedAt.map(EpisodeView.readable),
            told: ruleState.told.map { EpisodeView.person($0, in: directory) }, standing: standing, person: person,
            mayAct: mayAct, action: AckLinkSigner.pagePrefix + token,
            formToken: forms.token(purpose: Self.purpose, binding: token))
        return AckPage.page(model, notice: notice)
    }

    /// The status and sentence for an action the core refused or the store could not commit.
    static func refusal(_ failure: EvaluationLoop.ActionFailure) -> (Int, String) {
        switch failure {
        case .refused(let refusal):
            switch refusal.code {
            case .unknownEpisode: (404, "Herald no longer knows this episode; nothing was changed.")
            case .notAllowed: (403, "You may not act on this episode (you were not told, or are no longer active); nothing was changed.")
            case .episodeEnded: (409, "This episode is already over; nothing was changed.")
            case .alreadyAcknowledged: (409, "Someone else acknowledged it first; nothing was changed.")
            case .notAcknowledged: (409, "Nobody had acknowledged it; nothing was changed.")
            }
        case .unavailable:
            (503, "Herald cannot save changes right now; nothing was changed. Please try again in a minute.")
        }
    }
}
