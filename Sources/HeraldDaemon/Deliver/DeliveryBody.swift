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
    /// `herald dead-letters`) the body has no contact details and no links.
    static func data(body: Data?, notice: StoredNotice?, recipients: [String]?, destinationKey: String, sendAt: Date,
                     runtime: RuntimeConfig?, publicURL: String) -> Data? {
        if let body { return body }
        guard let notice, let destination = Destination(key: destinationKey) else { return nil }
        let delivery = WebhookBody.Delivery(target: destination.target, audience: destination.audience,
                                            recipientIDs: recipients, notifiedAt: notice.createdAt)
        return WebhookBody.body(notice: notice.payload, delivery: delivery, config: runtime?.config) { request in
            guard let runtime, let transition = Transition(rawValue: request.transition) else { return nil }
            return AckLinkPayload.link(for: request.user, episodeID: request.episodeID, transition: transition,
                                       target: destination.target, signer: runtime.ackLinks, publicURL: publicURL, sendAt: sendAt)
        }
    }

    /// The body of an outbox row.
    static func data(_ row: OutboxRecord, runtime: RuntimeConfig, publicURL: String) -> Data? {
        data(body: row.body, notice: row.notice, recipients: row.recipients, destinationKey: row.target,
             sendAt: row.createdAt, runtime: runtime, publicURL: publicURL)
    }

    /// The body a dead letter would send if re-queued now.
    static func data(_ dead: DeadLetterRecord, runtime: RuntimeConfig?, publicURL: String) -> Data? {
        data(body: dead.body, notice: dead.notice, recipients: dead.recipients, destinationKey: dead.target,
             sendAt: dead.createdAt, runtime: runtime, publicURL: publicURL)
    }
}
