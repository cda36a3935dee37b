import Foundation
import HeraldCore
import HeraldStore

/// The bytes a delivery sends. Rows committed since schema 4 carry no body: it is
/// written at send time from the notice the audit log keeps (`WebhookBody`), so the
/// store holds each notice once (issue #22). The acknowledgement links are signed for
/// the row's send time (its `createdAt`), as they were at commit time, so a retry with
/// the same config and secret sends the same bytes. The dead-letter listings show the
/// same body.
enum DeliveryBody {
    /// The body of a delivery to `destinationKey` due at `sendAt`: its own `body`, or one
    /// written from its notice; nil when it has neither. Without a config (the offline
    /// `herald dead-letters`) the body has no contact details and no links. `notices`
    /// keeps the notice read last, for the next row of the same notice.
    static func data(body: Data?, notificationID: String, notice: StoredNotice?, recipients: [String]?,
                     destinationKey: String, sendAt: Date, runtime: RuntimeConfig?, publicURL: String,
                     notices: LastNotice) -> Data? {
        if let body { return body }
        guard let notice, let destination = Destination(key: destinationKey),
              let parsed = notices.parsed(notificationID, notice) else { return nil }
        let delivery = WebhookBody.Delivery(target: destination.target, audience: destination.audience,
                                            recipientIDs: recipients, notifiedAt: notice.createdAt)
        return WebhookBody.body(notice: parsed, delivery: delivery, config: runtime?.config) { request in
            guard let runtime, let transition = Transition(rawValue: request.transition) else { return nil }
            return AckLinkPayload.link(for: request.user, episodeID: request.episodeID, transition: transition,
                                       target: destination.target, signer: runtime.ackLinks, publicURL: publicURL, sendAt: sendAt)
        }
    }

    /// The body of an outbox row.
    static func data(_ row: OutboxRecord, runtime: RuntimeConfig, publicURL: String, notices: LastNotice) -> Data? {
        data(body: row.body, notificationID: row.notificationID, notice: row.notice, recipients: row.recipients,
             destinationKey: row.target, sendAt: row.createdAt, runtime: runtime, publicURL: publicURL, notices: notices)
    }

    /// The body a dead letter would send if re-queued now.
    static func data(_ dead: DeadLetterRecord, runtime: RuntimeConfig?, publicURL: String, notices: LastNotice) -> Data? {
        data(body: dead.body, notificationID: dead.notificationID, notice: dead.notice, recipients: dead.recipients,
             destinationKey: dead.target, sendAt: dead.createdAt, runtime: runtime, publicURL: publicURL, notices: notices)
    }
}

/// The notice read last, by notification id. The rows of one notice arrive together
/// (one commit pushes them; one poll reads them in order), so one entry is enough to
/// read a notice once per fan-out, and holds at most one notice in memory. Not
/// thread-safe: each user keeps its own (the delivery engine on its queue, a listing
/// for one page).
final class LastNotice {
    private var id: String?
    private var notice: WebhookBody.Notice?

    /// The notice `id` read from `stored`, or nil when it is not a notice document.
    func parsed(_ id: String, _ stored: StoredNotice) -> WebhookBody.Notice? {
        if id == self.id, let notice { return notice }
        let notice = WebhookBody.Notice(stored.payload)
        self.id = notice == nil ? nil : id
        self.notice = notice
        return notice
    }
}
