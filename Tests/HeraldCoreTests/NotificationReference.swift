import Foundation
@testable import HeraldCore

/// An independent reference for a notification's one production encoder
/// (`NotificationDocument.write` over `JSONBytesWriter`): the same document as a plain
/// `Encodable` mirror written by `JSONEncoder([.sortedKeys, .withoutEscapingSlashes])`,
/// built straight from a `Notification` (and, for webhooks, the delivery's extras), so
/// the differential tests compare two encoders rather than one with itself. Only the
/// timestamp text comes from `NotificationJSON.timestamp`: a formatting choice, not the
/// encoder under test.
struct ReferenceNotification: Encodable {
    struct Ref: Encodable {
        let id: String
        let name: String
    }

    struct Episode: Encodable {
        let id: String
        let number: Int
    }

    struct Tier: Encodable {
        let index: Int
        let name: String
        let threshold: Double
    }

    struct Subject: Encodable {
        let id: String
        let type: String?
        let name: String?
    }

    struct Event: Encodable {
        let id: String?
        let metric: String
        let value: Double
        let subject: Subject
        let relations: [String: String]
        let labels: [String: String]
        let timestamp: String?
    }

    struct Ack: Encodable {
        let token: String
        let expiresAt: String
        let url: String
        let apiURL: String

        init(_ link: AckLink) {
            token = link.token
            expiresAt = link.expiresAt
            url = link.url
            apiURL = link.apiURL
        }
    }

    struct Person: Encodable {
        var ack: Ack?
        var address: String?
        var email: String?
        let id: String
        let name: String
        let path: String
        var phone: String?
    }

    /// Unknown ids and names are written as `null`, not left out.
    struct Excluded: Encodable {
        let id: String?
        let name: String?
        let path: String
        let reason: String

        enum Keys: String, CodingKey { case id, name, path, reason }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(path, forKey: .path)
            try c.encode(reason, forKey: .reason)
        }
    }

    // The members in the document's key order; webhook-only ones are nil in the audit
    // payload and left out.
    var ack: Ack?
    let actor: String?
    let episode: Episode
    let escalationStep: Int?
    let event: Event
    var excluded: [Excluded]?
    var group: String?
    let id: String
    var notifiedAt: String?
    let occurredAt: String
    let previousTier: Tier?
    let reason: String?
    var recipients: [Person]
    let rule: Ref
    let subject: Subject
    var target: String?
    let tier: Tier
    let transition: String
    var type: String?
    let unrouted: Bool?

    init(_ n: HeraldCore.Notification) {
        let subject = Subject(id: n.subject.id, type: n.subject.type, name: n.subject.name)
        id = n.id
        rule = Ref(id: n.ruleID, name: n.ruleName)
        tier = Tier(index: n.tier.index, name: n.tier.name, threshold: n.tier.threshold)
        transition = n.transition.rawValue
        episode = Episode(id: n.episodeID, number: n.episode)
        self.subject = subject
        event = Event(id: n.event.id, metric: n.event.metric, value: n.event.value, subject: subject, relations: n.event.relations,
                      labels: n.event.labels, timestamp: n.event.timestamp.map(NotificationJSON.timestamp))
        recipients = n.recipients.map { Person(id: $0.id, name: $0.name, path: $0.path) }
        excluded = n.excluded.map { Excluded(id: $0.id, name: $0.name, path: $0.path, reason: $0.reason) }
        occurredAt = NotificationJSON.timestamp(n.occurredAt)
        reason = n.reason?.rawValue
        actor = n.actor
        escalationStep = n.escalationStep
        unrouted = n.unrouted
        previousTier = n.previousTier.map { Tier(index: $0.index, name: $0.name, threshold: $0.threshold) }
    }

    func data() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The hand-built dictionary `herald explain --json` showed a notice as before it
    /// read the audit document back: explain's output must stay the same bytes.
    static func explainObject(_ n: HeraldCore.Notification) -> [String: Any] {
        var object: [String: Any] = [
            "id": n.id,
            "rule": ["id": n.ruleID, "name": n.ruleName],
            "tier": ["index": n.tier.index, "name": n.tier.name, "threshold": n.tier.threshold] as [String: Any],
            "transition": n.transition.rawValue,
            "episode": ["id": n.episodeID, "number": n.episode] as [String: Any],
            "subject": explainSubject(n.subject),
            "event": explainEvent(n.event),
            "recipients": n.recipients.map { ["id": $0.id, "name": $0.name, "path": $0.path] },
            "excluded": n.excluded.map { p -> [String: Any] in
                ["id": p.id ?? NSNull(), "name": p.name ?? NSNull(), "path": p.path, "reason": p.reason]
            },
            "occurredAt": NotificationJSON.timestamp(n.occurredAt),
        ]
        if let reason = n.reason { object["reason"] = reason.rawValue }
        if let actor = n.actor { object["actor"] = actor }
        if let step = n.escalationStep { object["escalationStep"] = step }
        if let unrouted = n.unrouted { object["unrouted"] = unrouted }
        if let previous = n.previousTier {
            object["previousTier"] = ["index": previous.index, "name": previous.name, "threshold": previous.threshold] as [String: Any]
        }
        return object
    }

    static func explainSubject(_ s: MetricEvent.Subject) -> [String: Any] {
        var o: [String: Any] = ["id": s.id]
        if let type = s.type { o["type"] = type }
        if let name = s.name { o["name"] = name }
        return o
    }

    static func explainEvent(_ e: MetricEvent) -> [String: Any] {
        var o: [String: Any] = ["metric": e.metric, "value": e.value, "subject": explainSubject(e.subject),
                                "relations": e.relations, "labels": e.labels]
        if let id = e.id { o["id"] = id }
        if let t = e.timestamp { o["timestamp"] = NotificationJSON.timestamp(t) }
        return o
    }
}
