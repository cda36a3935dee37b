import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldWeb

/// `/ui/audit`: the audit log as `GET /v1/notifications` pages it (newest first, by rule
/// or subject): notices with who was told and their delivery status, and every change
/// made by hand — episode actions, silences, dead-letter re-queues — with who made it.
extension OperatorRoutes {
    /// Entries per page: each notice costs a store read for its delivery status.
    static let auditPageSize = 50

    func audit(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = signedIn(request, respond) else { return }
        let filter = (rule: request.query["rule"] ?? "", subject: request.query["subject"] ?? "")
        let after = request.query["after"].flatMap { Int64($0) }
        guard let page = try? store.auditPage(subject: filter.subject.isEmpty ? nil : filter.subject, rule: filter.rule.isEmpty ? nil : filter.rule,
                                              limit: Self.auditPageSize, after: after) else {
            return respond(WebPage(title: "Audit log", body: ["Herald cannot read its store right now; try again in a minute."]).response(status: 503))
        }
        let directory = holder.snapshot.config.directory
        let rows = page.items.map { row($0.record, directory: directory) }
        let older = page.next.map { next in
            "/ui/audit?" + [("rule", filter.rule), ("subject", filter.subject), ("after", String(next))].filter { !$0.1.isEmpty }
                .map { "\($0.0)=\(OperatorPages.queryValue($0.1))" }.joined(separator: "&")
        }
        respond(OperatorPages.audit(rows, filter: filter, older: older, formToken: formToken(session), who: session.tokenID).response())
    }

    /// One entry as text: a notice with its audience and delivery, or an action with its actor.
    private func row(_ record: AuditRecord, directory: Directory) -> OperatorPages.AuditRow {
        let payload = (try? JSONSerialization.jsonObject(with: record.payload)) as? [String: Any] ?? [:]
        let at = EpisodeView.readable(record.createdAt)
        guard Transition(rawValue: record.transition) != nil else {
            return OperatorPages.AuditRow(at: at, what: record.transition, rule: record.ruleID, subject: record.subjectID, tier: record.tier ?? "—",
                                          who: payload["actor"] as? String ?? "?", outcome: Self.touched(payload), isAction: true)
        }
        let told = (payload["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        let outcome: String
        if let silence = record.suppressed {
            outcome = "held by silence \(silence)"
        } else if let status = try? DeliveryStatus.read(record.notificationID, suppressed: false, store: store) {
            outcome = status.overall.rawValue.replacingOccurrences(of: "_", with: " ")
        } else {
            outcome = "?"
        }
        return OperatorPages.AuditRow(at: at, what: record.transition, rule: record.ruleID, subject: record.subjectID, tier: record.tier ?? "—",
                                      who: told.isEmpty ? "nobody" : told.map { EpisodeView.person($0, in: directory) }.joined(separator: ", "),
                                      outcome: outcome, isAction: false)
    }

    /// What a hand-made change touched: the episode, the silence, or the dead letter.
    static func touched(_ payload: [String: Any]) -> String {
        if let episode = (payload["episode"] as? [String: Any])?["id"] as? String { return "episode \(episode)" }
        if let silence = payload["silence"] as? [String: Any] {
            return "silence \(silence["id"] as? String ?? "?") until \(silence["endsAt"] as? String ?? "?")"
        }
        if let letter = payload["deadLetter"] as? [String: Any] {
            return "webhook \(letter["deliveryId"] as? String ?? "?")" + ((letter["destination"] as? String).map { " to \($0)" } ?? "")
        }
        return "—"
    }
}
