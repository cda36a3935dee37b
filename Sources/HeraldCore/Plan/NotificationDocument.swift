public import Foundation

/// A notification as the JSON stored in the audit log and sent in webhooks, written
/// with `JSONEncoder` instead of `JSONSerialization`.
///
/// Why: on Linux `JSONSerialization.data` bridges every value to an NSObject and sorts
/// keys with ICU collation: ≈ 1 ms for a notification with 20 people, which made the
/// evaluation queue the bottleneck of ingest, end-to-end latency and delivery bursts
/// (see BENCHMARKS.md). `JSONEncoder` with `.sortedKeys` writes the same bytes (same key
/// order, numbers, escaping and `null`s) about 12× faster. Keys mirror
/// `NotificationJSON.object`, which `herald explain --json` still uses.
struct NotificationDocument: Encodable {
    struct RuleRef: Encodable {
        let id: String
        let name: String
    }

    struct EpisodeRef: Encodable {
        let id: String
        let number: Int
    }

    struct EventDocument: Encodable {
        let event: MetricEvent

        enum Keys: String, CodingKey { case id, metric, value, subject, relations, labels, timestamp }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encodeIfPresent(event.id, forKey: .id)
            try c.encode(event.metric, forKey: .metric)
            try c.encode(event.value, forKey: .value)
            try c.encode(event.subject, forKey: .subject)
            try c.encode(event.relations, forKey: .relations)
            try c.encode(event.labels, forKey: .labels)
            try c.encodeIfPresent(event.timestamp.map(NotificationJSON.timestamp), forKey: .timestamp)
        }
    }

    /// A recipient; the contact fields only in webhooks.
    struct Person: Encodable {
        let id: String
        let name: String
        let path: String
        var address: String?
        var email: String?
        var phone: String?
        var ack: AckLink?
    }

    /// An excluded person; unknown ids and names are written as `null`.
    struct Excluded: Encodable {
        let person: ExcludedPerson

        enum Keys: String, CodingKey { case id, name, path, reason }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(person.id, forKey: .id)
            try c.encode(person.name, forKey: .name)
            try c.encode(person.path, forKey: .path)
            try c.encode(person.reason, forKey: .reason)
        }
    }

    let id: String
    let rule: RuleRef
    let tier: TierReference
    let transition: String
    let episode: EpisodeRef
    let subject: MetricEvent.Subject
    let event: EventDocument
    var recipients: [Person]
    var excluded: [Excluded]?
    let occurredAt: String
    let reason: String?
    let actor: String?
    let escalationStep: Int?
    var ack: AckLink?
    // Webhook-only fields.
    var type: String?
    var notifiedAt: String?
    var target: String?
    var group: String?

    init(_ n: Notification) {
        id = n.id
        rule = RuleRef(id: n.ruleID, name: n.ruleName)
        tier = n.tier
        transition = n.transition.rawValue
        episode = EpisodeRef(id: n.episodeID, number: n.episode)
        subject = n.subject
        event = EventDocument(event: n.event)
        recipients = n.recipients.map { Person(id: $0.id, name: $0.name, path: $0.path) }
        excluded = n.excluded.map(Excluded.init)
        occurredAt = NotificationJSON.timestamp(n.occurredAt)
        reason = n.reason?.rawValue
        actor = n.actor
        escalationStep = n.escalationStep
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func data() -> Data { (try? NotificationDocument.encoder.encode(self)) ?? Data() }
}

extension NotificationJSON {
    /// The audit-log payload: `NotificationJSON.object(n)` as sorted-key JSON bytes.
    public static func data(_ n: Notification) -> Data { NotificationDocument(n).data() }
}
