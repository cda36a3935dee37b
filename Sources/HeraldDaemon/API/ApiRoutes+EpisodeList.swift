import Foundation
import HeraldCore
import HeraldServer
import HeraldStore

/// `GET /v1/episodes` (what is going on, without knowing an id) and
/// `GET /v1/notifications/{id}` (was this notice delivered?).
///
/// Episodes come from the evaluation state — the current or last episode of every
/// (rule, subject) it still holds — and their notices from the audit log, each with its
/// delivery status from the outbox and the delivery history.
extension ApiRoutes {
    /// Most episodes one page lists: each costs a few store reads for its notices.
    static let maxEpisodesPerPage = 200
    /// Most notices listed per episode (newest first): a long episode repeats.
    static let maxNoticesPerEpisode = 50

    func listEpisodes(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let paging = Paging(request, maximum: Self.maxEpisodesPerPage, respond: respond) else { return }
        var standing: EpisodeView.Standing?
        if let text = request.query["state"] {
            guard let parsed = EpisodeView.Standing(rawValue: text) else {
                let names = EpisodeView.Standing.allCases.map(\.rawValue).joined(separator: ", ")
                return respond(.error(status: 400, code: "bad_query", message: "'state' must be one of \(names)",
                                      details: [(path: "query.state", message: "'\(text.prefix(32))' is not one of \(names)")]))
            }
            standing = parsed
        }
        let (state, config, _) = evaluation.snapshot()
        let matching = EpisodeView.all(state, config: config).filter { view in
            (standing == nil || view.standing == standing) && request.query["rule"].map { $0 == view.key.ruleID } ?? true
                && request.query["subject"].map { $0 == view.key.subjectID } ?? true
        }
        // The cursor is a position in this order (newest start first); episodes started
        // after the first page move later pages by one, which a person paging accepts.
        let start = Int(clamping: max(0, paging.after ?? 0))
        let page = matching.dropFirst(start).prefix(paging.limit)
        do {
            let items = try page.map { view throws(StoreError) in try episodeJSON(view, directory: config.directory) }
            let next: Any = start + page.count < matching.count ? Int64(start + page.count) : NSNull()
            respond(Self.json(["episodes": items, "next": next]))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }

    func episodeJSON(_ view: EpisodeView, directory: Directory) throws(StoreError) -> [String: Any] {
        let s = view.state
        let entries = try store.auditPage(AuditFilter(subject: view.key.subjectID, rule: view.key.ruleID),
                                          limit: Self.maxNoticesPerEpisode, after: nil).items
        let notices = try entries.filter { $0.record.notificationID.hasPrefix(view.id + "/") && Transition(rawValue: $0.record.transition) != nil }
            .map { entry throws(StoreError) -> [String: Any] in
                let r = entry.record
                return ["id": r.notificationID, "transition": r.transition, "tier": r.tier.map { $0 as Any } ?? NSNull(),
                        "recordedAt": NotificationJSON.timestamp(r.createdAt),
                        "delivery": try DeliveryStatus.read(r.notificationID, suppressed: r.suppressed != nil, store: store).overall.rawValue]
            }
        let time: (Date?) -> Any = { $0.map { NotificationJSON.timestamp($0) as Any } ?? NSNull() }
        return [
            "id": view.id, "state": view.standing.rawValue,
            "rule": ["id": view.key.ruleID, "name": view.ruleName],
            "subject": ["id": view.key.subjectID, "name": view.subjectName.map { $0 as Any } ?? NSNull()],
            "tier": view.tierName.map { $0 as Any } ?? NSNull(),
            "startedAt": time(s.episodeStartedAt),
            "lastEvent": s.lastEvent.map { ["metric": $0.metric, "value": $0.value, "at": time($0.timestamp)] as Any } ?? NSNull(),
            "acknowledgedBy": s.acknowledgedBy.map { $0 as Any } ?? NSNull(), "acknowledgedAt": time(s.acknowledgedAt),
            "escalationStep": s.escalationStep.map { $0 as Any } ?? NSNull(), "escalationDueAt": time(s.escalationDueAt),
            "told": s.told, "notices": notices,
        ]
    }

    func notificationStatus(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        do {
            guard let entry = try store.auditEntry(notificationID: id) else {
                return respond(.error(status: 404, code: "unknown_notification", message: "no notification '\(id)' in the audit log"))
            }
            let record = entry.record
            var object = try DeliveryStatus.read(id, suppressed: record.suppressed != nil, store: store).json
            object["id"] = id
            object["rule"] = record.ruleID
            object["subject"] = record.subjectID
            object["transition"] = record.transition
            object["tier"] = record.tier.map { $0 as Any } ?? NSNull()
            object["recordedAt"] = NotificationJSON.timestamp(record.createdAt)
            object["suppressedBy"] = record.suppressed.map { $0 as Any } ?? NSNull()
            respond(Self.json(object))
        } catch {
            respond(Self.storeUnavailable(error))
        }
    }
}
