import Foundation
import HeraldCore
import HeraldStore

/// What the resolver sees of one user: effective roles, groups and rights.
enum DirectoryJSON {
    /// A user in a listing: who, whether active, where defined, which roles.
    static func summary(_ u: Int, in directory: Directory) -> [String: Any] {
        let user = directory.users[u]
        return [
            "cursor": u, "id": user.id, "name": user.name, "active": user.active, "owner": user.isOwner,
            "source": ["kind": user.source.kind, "name": user.source.description],
            "roles": user.roles.map { directory.roles[$0].id },
        ]
    }

    static func user(_ u: Int, in directory: Directory) -> [String: Any] {
        let user = directory.users[u]
        var contact: [String: Any] = ["addresses": user.contact.addresses]
        if let email = user.contact.email { contact["email"] = email }
        if let phone = user.contact.phone { contact["phone"] = phone }
        return [
            "id": user.id,
            "name": user.name,
            "active": user.active,
            "owner": user.isOwner,
            "source": ["kind": user.source.kind, "name": user.source.description],
            "roles": user.roles.map { ["id": directory.roles[$0].id, "name": directory.roles[$0].name] },
            "groups": directory.groups(of: u).map { g -> [String: Any] in
                let group = directory.groups[g]
                return ["id": group.id, "name": group.name, "kind": group.kind == .custom ? "custom" : "role"]
            },
            "rights": directory.rightNames(of: u),
            "contact": contact,
        ]
    }
}

/// A dead letter as the API lists it.
enum DeadLetterJSON {
    /// `body` writes the payload of a row without one (`DeliveryBody`).
    static func object(_ entry: DeadLetterEntry, body: (DeadLetterRecord) -> Data?) -> [String: Any] {
        let record = entry.record
        return [
            "cursor": entry.cursor,
            "deliveryId": record.deliveryID,
            "notificationId": record.notificationID,
            "destination": record.target,
            "attempts": record.attempts,
            "lastStatus": record.lastStatus.map { $0 as Any } ?? NSNull(),
            "lastError": record.lastError,
            "responseExcerpt": record.responseExcerpt.map { String(decoding: $0, as: UTF8.self) as Any } ?? NSNull(),
            "createdAt": NotificationJSON.timestamp(record.createdAt),
            "deadAt": NotificationJSON.timestamp(record.deadAt),
            "payload": body(record).flatMap { try? JSONSerialization.jsonObject(with: $0) } ?? NSNull(),
        ]
    }
}
