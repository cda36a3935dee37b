public import Foundation

/// The JSON body of a webhook (documented as `WebhookPayload` in docs/openapi.yaml).
///
/// The daemon no longer stores this body: `WebhookBody` writes the same bytes at send
/// time from the notice the audit log keeps (issue #22), and this writer stays as the
/// reference it is compared with (`WebhookBodyTests`). The send time travels in the
/// signed `webhook-timestamp` header.
public enum WebhookPayload {
    /// `type` is `herald.notification.<transition>`, in the Standard Webhooks style.
    /// `ackLink` gives a person's signed acknowledgement link (the daemon signs; the
    /// core only places it: on every recipient, and at the top for a one-person message).
    public static func body(_ notification: Notification, delivery: PlannedDelivery, config: HeraldConfig, notifiedAt: Date,
                            ackLink: (String) -> AckLink? = { _ in nil }) -> Data {
        var document = NotificationDocument(notification, people: false)
        document.type = "herald.notification.\(notification.transition.rawValue)"
        document.notifiedAt = NotificationJSON.timestamp(notifiedAt)
        document.target = delivery.target
        if case .group(let id) = delivery.audience { document.group = id }
        document.recipients = delivery.recipients.map { person in
            var entry = NotificationDocument.Person(id: person.id, name: person.name, path: person.path)
            if let u = config.directory.user(person.id) {
                let contact = config.directory.users[u].contact
                entry.address = contact.addresses[delivery.target]
                entry.email = contact.email
                entry.phone = contact.phone
            }
            entry.ack = ackLink(person.id)
            return entry
        }
        if case .user(let id) = delivery.audience { document.ack = ackLink(id) }
        // Excluded people (left nil above) are for the audit log and explain, not for the receiver.
        return document.data()
    }
}

/// A signed link with which a recipient acknowledges an episode without an API token:
/// `url` is the page a person taps (`<publicURL>/ack/<token>`), `apiURL` where a gateway
/// POSTs `{"token": …}` instead.
public struct AckLink: Sendable, Equatable {
    public let token: String
    public let expiresAt: String
    public let url: String
    public let apiURL: String

    public init(token: String, expiresAt: String, url: String, apiURL: String) {
        self.token = token
        self.expiresAt = expiresAt
        self.url = url
        self.apiURL = apiURL
    }
}
