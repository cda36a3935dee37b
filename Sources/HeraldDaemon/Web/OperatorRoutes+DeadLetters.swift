import Foundation
import HeraldServer
import HeraldWeb

/// `/ui/dead-letters`: webhooks that gave up, and Retry (admin), which re-queues through
/// `OperatorActions` like `POST /v1/dead-letters/{id}/retry`, audited with the actor.
extension OperatorRoutes {
    func deadLetters(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = signedIn(request, respond) else { return }
        guard let page = try? store.deadLetters(limit: Self.maxRows, after: nil) else {
            return respond(WebPage(title: "Dead letters", body: ["Herald cannot read its store right now; try again in a minute."]).response(status: 503))
        }
        let rows = page.items.map { entry in
            let d = entry.record
            return OperatorPages.DeadLetterRow(id: d.deliveryID, target: d.target, notice: d.notificationID, attempts: String(d.attempts),
                                               error: d.lastError, deadAt: EpisodeView.readable(d.deadAt))
        }
        let notice = request.query["done"].map { Notice(.ok, "Re-queued \($0): it will be sent again now.") }
        respond(OperatorPages.deadLetters(rows, formToken: formToken(session), may: Self.permissions(session), who: session.tokenID,
                                          notice: notice).response())
    }

    func retry(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let (session, form) = changeForm(request, respond, needs: .admin) else { return }
        let id = form["id"] ?? ""
        switch actions.retryDeadLetter(id: id, actor: "operator:\(session.tokenID)", now: Date()) {
        case .success:
            respond(WebHeaders.seeOther("/ui/dead-letters?done=" + OperatorPages.queryValue(id)))
        case .failure(.exists), .failure(.unknown):
            respond(Self.nothingChanged("There is no such dead letter (already retried?).", status: 404, back: "/ui/dead-letters"))
        case .failure(.unavailable):
            respond(Self.nothingChanged("Herald cannot save changes right now; try again in a minute.", status: 503, back: "/ui/dead-letters"))
        }
    }
}
