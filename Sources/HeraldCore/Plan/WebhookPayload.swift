public import Foundation

/// The JSON body of a webhook (documented as `WebhookPayload` in docs/openapi.yaml).
///
/// The body is built once, when the notification is committed, and stored in the
/// outbox, so every retry sends the same bytes; the send time travels in the signed
/// `webhook-timestamp` header.
public enum WebhookPayload {
    /// `type` is `herald.notification.<transition>`, in the Standard Webhooks style.
    public static func body(_ notification: Notification, delivery: PlannedDelivery, config: HeraldConfig, notifiedAt: Date) -> Data {
        var object = NotificationJSON.object(notification)
        object["type"] = "herald.notification.\(notification.transition.rawValue)"
        object["notifiedAt"] = NotificationJSON.timestamp(notifiedAt)
        object["target"] = delivery.target
        if case .group(let id) = delivery.audience { object["group"] = id }
        object["recipients"] = delivery.recipients.map { person -> [String: Any] in
            var entry: [String: Any] = ["id": person.id, "name": person.name, "path": person.path]
            if let u = config.directory.user(person.id) {
                let contact = config.directory.users[u].contact
                if let address = contact.addresses[delivery.target] { entry["address"] = address }
                if let email = contact.email { entry["email"] = email }
                if let phone = contact.phone { entry["phone"] = phone }
            }
            return entry
        }
        // Excluded people are for the audit log and explain, not for the receiver.
        object["excluded"] = nil
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
