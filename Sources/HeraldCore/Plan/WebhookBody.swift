public import Foundation

/// A webhook body written at send time from the notice as the audit log stores it.
///
/// Why: the store used to keep two copies of every notice, the audit payload and the
/// webhook body in the outbox row (≈ 1 KB and ≈ 2–3 KB for the seed example, most of the
/// latter signed acknowledgement links); with a target down for a day that was ≈ 4.9 KB
/// per notice (issue #22). An outbox row now keeps only which delivery it is (target,
/// audience, recipient ids), and this writes the body from the stored notice: the same
/// bytes `WebhookPayload.body` writes at commit time (`WebhookBodyTests` compare them),
/// with the contact details and acknowledgement links of the config in force when it is
/// sent. The stored notice never changes, so every retry sends the same body while the
/// config and the target's secret stay the same; the `webhook-id` stays the same anyway.
public enum WebhookBody {
    /// What a delivery adds to its notice.
    public struct Delivery: Sendable, Equatable {
        public let target: String
        public let audience: PlannedDelivery.Audience
        /// The people this delivery tells, in order; nil for every recipient of the notice.
        public let recipientIDs: [String]?
        /// When the notice was committed (the audit record's time): the body's `notifiedAt`.
        public let notifiedAt: Date

        public init(target: String, audience: PlannedDelivery.Audience, recipientIDs: [String]?, notifiedAt: Date) {
            self.target = target
            self.audience = audience
            self.recipientIDs = recipientIDs
            self.notifiedAt = notifiedAt
        }
    }

    /// Whom an acknowledgement link is for, and on what: the daemon signs it.
    public struct AckRequest: Sendable, Equatable {
        public let user: String
        public let episodeID: String
        public let transition: String
    }

    /// A stored notice read once for all of its deliveries.
    ///
    /// Why: a notice to n people lists all n and has up to n per-person deliveries, so
    /// reading the document per delivery made a fan-out O(n²) (≈ 62 s for 9,896 people,
    /// issue #22's regression); the delivery engine keeps the last `Notice` it read.
    public struct Notice: Sendable {
        /// The document's members that every body of it writes the same way, in key order,
        /// each value already written as JSON: without `recipients` and `excluded`, and
        /// without the members every body sets itself (`perDeliveryKeys`).
        ///
        /// Why: a fan-out writes one body per person from the same notice; writing the
        /// whole document tree again for each (sorting every object's keys each time)
        /// was a large part of the sender's own CPU (Benchmarks/limits.md, issue #21).
        fileprivate let members: [(key: String, json: [UInt8])]
        fileprivate let transition: String
        fileprivate let episodeID: String
        fileprivate let people: [JSONValue]
        /// Position in `people` by user id, for deliveries that name their recipients.
        fileprivate let positionByID: [String: Int]
        /// Who the notice told, bounded: channel messages say who else was told from it.
        public let told: ChannelNotice.ToldSample

        /// Nil when `data` is not a notice document (never for rows this code wrote).
        public init?(_ data: Data) {
            guard case .object(var document)? = try? JSONValue.parse(data),
                  case .string(let transition)? = document["transition"],
                  case .object(let episode)? = document["episode"], case .string(let episodeID)? = episode["id"],
                  case .array(let people)? = document["recipients"] else { return nil }
            document["recipients"] = nil
            document["excluded"] = nil
            for key in WebhookBody.perDeliveryKeys { document[key] = nil }
            var positionByID: [String: Int] = [:]
            positionByID.reserveCapacity(people.count)
            for (position, person) in people.enumerated() {
                if case .object(let fields) = person, case .string(let id)? = fields["id"] { positionByID[id] = position }
            }
            self.members = document.keys.sorted(by: JSONBytesWriter.keyPrecedes).map { key in
                var writer = JSONBytesWriter(capacity: 64)
                writer.value(document[key]!)
                return (key, writer.bytes)
            }
            self.transition = transition
            self.episodeID = episodeID
            self.people = people
            self.positionByID = positionByID
            told = ChannelNotice.ToldSample(recipients: people)
        }

        /// The recipients a delivery tells, in the delivery's order.
        fileprivate func selected(_ ids: [String]?) -> [JSONValue] {
            guard let ids else { return people }
            return ids.compactMap { positionByID[$0].map { people[$0] } }
        }
    }

    /// The body, or nil when `notice` is not a notice document (never for rows this
    /// code wrote; the caller dead-letters such a row rather than send garbage). Without
    /// a config the recipients have no contact details.
    public static func body(notice: Data, delivery: Delivery, config: HeraldConfig?,
                            ackLink: (AckRequest) -> AckLink?) -> Data? {
        Notice(notice).map { body(notice: $0, delivery: delivery, config: config, ackLink: ackLink) }
    }

    /// The body of one delivery of a notice already read.
    public static func body(notice: Notice, delivery: Delivery, config: HeraldConfig?,
                            ackLink: (AckRequest) -> AckLink?) -> Data {
        func link(_ user: String) -> AckLink? {
            ackLink(AckRequest(user: user, episodeID: notice.episodeID, transition: notice.transition))
        }
        // The members this delivery sets, in key order, merged with the notice's own
        // already-written ones: the bytes of writing the whole document.
        var own: [(key: String, value: JSONValue)] = []
        if case .user(let id) = delivery.audience, let ack = link(id) { own.append(("ack", ack.jsonValue)) }
        if case .group(let id) = delivery.audience { own.append(("group", .string(id))) }
        own.append(("notifiedAt", .string(NotificationJSON.timestamp(delivery.notifiedAt))))
        let people = notice.selected(delivery.recipientIDs)
        own.append(("recipients", .array(people.map { person in
            recipient(person, target: delivery.target, config: config, link: link)
        })))
        own.append(("target", .string(delivery.target)))
        own.append(("type", .string("herald.notification.\(notice.transition)")))
        var writer = JSONBytesWriter(capacity: Self.bytesBeforeRecipients + Self.bytesPerRecipient * people.count)
        writer.beginObject()
        var next = 0
        for member in notice.members {
            while next < own.count, JSONBytesWriter.keyPrecedes(own[next].key, member.key) {
                writer.key(own[next].key)
                writer.value(own[next].value)
                next += 1
            }
            if next < own.count, own[next].key == member.key {
                writer.key(own[next].key)   // set by this delivery: replaces the notice's own
                writer.value(own[next].value)
                next += 1
                continue
            }
            writer.key(member.key)
            writer.json(member.json)
        }
        for member in own[next...] {
            writer.key(member.key)
            writer.value(member.value)
        }
        writer.endObject()
        return writer.data
    }

    /// The document members every body writes itself, replacing the notice's own if it
    /// has them. (`ack` and `group`, written only for some deliveries, replace the
    /// notice's own when written and leave them otherwise.)
    static let perDeliveryKeys = ["notifiedAt", "recipients", "target", "type"]

    /// First guesses for the writer's buffer (it grows as needed): the notice fields, and
    /// one recipient with contact details and an ack link.
    static let bytesBeforeRecipients = 2048
    static let bytesPerRecipient = 640

    /// One recipient with the webhook-only fields: contact details and the ack link.
    private static func recipient(_ person: JSONValue, target: String, config: HeraldConfig?,
                                  link: (String) -> AckLink?) -> JSONValue {
        guard case .object(var fields) = person, case .string(let id)? = fields["id"] else { return person }
        if let config, let u = config.directory.user(id) {
            let contact = config.directory.users[u].contact
            fields["address"] = contact.addresses[target].map(JSONValue.string)
            fields["email"] = contact.email.map(JSONValue.string)
            fields["phone"] = contact.phone.map(JSONValue.string)
        }
        fields["ack"] = link(id)?.jsonValue
        return .object(fields)
    }
}

extension AckLink {
    /// The link as the JSON tree `WebhookBody` writes (the members `write(to:)` writes).
    var jsonValue: JSONValue {
        .object(["apiURL": .string(apiURL), "expiresAt": .string(expiresAt), "token": .string(token), "url": .string(url)])
    }
}

extension JSONBytesWriter {
    /// Writes a parsed tree back, object keys sorted by their UTF-8 bytes (as `JSONEncoder`
    /// with `.sortedKeys` and every document writer here do), so a document read and
    /// written again keeps its bytes.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for name in members.keys.sorted(by: JSONBytesWriter.keyPrecedes) {
                key(name)
                self.value(members[name]!)
            }
            endObject()
        }
    }
}
