public import Foundation

/// A notification as JSON: the one encoder of a notification. Its bytes are the audit
/// payload (`NotificationJSON.data`), the webhook body (`WebhookPayload.body`, with the
/// delivery's own recipients and contacts) and, read back, the notices `herald explain
/// --json` shows (`NotificationJSON.object`): one shape, written in one place.
///
/// History of the hot path (BENCHMARKS.md): on Linux `JSONSerialization.data` bridges
/// every value to an NSObject and sorts keys with ICU collation (≈ 1 ms for 20 people);
/// `JSONEncoder` with `.sortedKeys` writes the same bytes ≈ 12× faster but still cost
/// ≈ 27 µs per webhook body and ≈ 70 µs per audit payload on the evaluation queue, which
/// bounded a burst of firing events. `write(to:)` writes the bytes `JSONEncoder` would
/// through `JSONBytesWriter`; the tests hold it to an independent `Encodable` reference
/// (Tests/HeraldCoreTests/NotificationReference.swift).
struct NotificationDocument {
    struct RuleRef {
        let id: String
        let name: String
    }

    struct EpisodeRef {
        let id: String
        let number: Int
    }

    /// A recipient; the contact fields only in webhooks.
    struct Person {
        let id: String
        let name: String
        let path: String
        var address: String?
        var email: String?
        var phone: String?
        var ack: AckLink?
    }

    let id: String
    let rule: RuleRef
    let tier: TierReference
    let transition: String
    let episode: EpisodeRef
    let subject: MetricEvent.Subject
    let event: MetricEvent
    var recipients: [Person]
    /// Unknown ids and names are written as `null`.
    var excluded: [ExcludedPerson]?
    let occurredAt: String
    let reason: String?
    let actor: String?
    let escalationStep: Int?
    let unrouted: Bool?
    let previousTier: TierReference?
    var ack: AckLink?
    // Webhook-only fields.
    var type: String?
    var notifiedAt: String?
    var target: String?
    var group: String?

    /// The document of `n`. Without `people`, `recipients` starts empty and `excluded`
    /// nil: a webhook body fills in its own delivery's recipients, and copying the whole
    /// notification's lists for every per-recipient body made a fan-out quadratic (a
    /// 10,000-member group: 10,000 bodies × 10,000 people, ≈ 1.8 s on the evaluation queue).
    init(_ n: Notification, people: Bool = true) {
        id = n.id
        rule = RuleRef(id: n.ruleID, name: n.ruleName)
        tier = n.tier
        transition = n.transition.rawValue
        episode = EpisodeRef(id: n.episodeID, number: n.episode)
        subject = n.subject
        event = n.event
        recipients = people ? n.recipients.map { Person(id: $0.id, name: $0.name, path: $0.path) } : []
        excluded = people ? n.excluded : nil
        occurredAt = NotificationJSON.timestamp(n.occurredAt)
        reason = n.reason?.rawValue
        actor = n.actor
        escalationStep = n.escalationStep
        unrouted = n.unrouted
        previousTier = n.previousTier
    }

    /// The document's bytes, written by `JSONBytesWriter` (see there why).
    func data() -> Data {
        var writer = JSONBytesWriter(capacity: 1024 + 160 * recipients.count + 120 * (excluded?.count ?? 0))
        write(to: &writer)
        return writer.data
    }

    /// Members in sorted key order; an optional is left out when nil (`encodeIfPresent`),
    /// except an excluded person's `id` and `name`, written as `null`.
    func write(to w: inout JSONBytesWriter) {
        w.beginObject()
        if let ack { w.key("ack"); ack.write(to: &w) }
        w.member("actor", ifPresent: actor)
        w.key("episode")
        w.beginObject()
        w.member("id", episode.id)
        w.member("number", episode.number)
        w.endObject()
        w.member("escalationStep", ifPresent: escalationStep)
        w.key("event")
        NotificationDocument.write(event, to: &w)
        if let excluded {
            w.key("excluded")
            w.beginArray()
            for entry in excluded {
                w.beginObject()
                w.member("id", orNull: entry.id)
                w.member("name", orNull: entry.name)
                w.member("path", entry.path)
                w.member("reason", entry.reason)
                w.endObject()
            }
            w.endArray()
        }
        w.member("group", ifPresent: group)
        w.member("id", id)
        w.member("notifiedAt", ifPresent: notifiedAt)
        w.member("occurredAt", occurredAt)
        if let previousTier { w.key("previousTier"); NotificationDocument.write(previousTier, to: &w) }
        w.member("reason", ifPresent: reason)
        w.key("recipients")
        w.beginArray()
        for person in recipients {
            w.beginObject()
            if let ack = person.ack { w.key("ack"); ack.write(to: &w) }
            w.member("address", ifPresent: person.address)
            w.member("email", ifPresent: person.email)
            w.member("id", person.id)
            w.member("name", person.name)
            w.member("path", person.path)
            w.member("phone", ifPresent: person.phone)
            w.endObject()
        }
        w.endArray()
        w.key("rule")
        w.beginObject()
        w.member("id", rule.id)
        w.member("name", rule.name)
        w.endObject()
        w.key("subject")
        NotificationDocument.write(subject, to: &w)
        w.member("target", ifPresent: target)
        w.key("tier")
        NotificationDocument.write(tier, to: &w)
        w.member("transition", transition)
        w.member("type", ifPresent: type)
        if let unrouted { w.key("unrouted"); w.bool(unrouted) }
        w.endObject()
    }

    static func write(_ tier: TierReference, to w: inout JSONBytesWriter) {
        w.beginObject()
        w.member("index", tier.index)
        w.member("name", tier.name)
        w.member("threshold", tier.threshold)
        w.endObject()
    }

    static func write(_ subject: MetricEvent.Subject, to w: inout JSONBytesWriter) {
        w.beginObject()
        w.member("id", subject.id)
        w.member("name", ifPresent: subject.name)
        w.member("type", ifPresent: subject.type)
        w.endObject()
    }
}

extension NotificationDocument {
    /// An event as a notification carries it: the timestamp as RFC 3339 text.
    static func write(_ event: MetricEvent, to w: inout JSONBytesWriter) {
        event.write(to: &w) { date, w in w.member("timestamp", NotificationJSON.timestamp(date)) }
    }
}

extension MetricEvent {
    /// The event's members in sorted key order, optionals left out when nil; the
    /// `timestamp` member, when there is one, is written by `timestamp` in the document's
    /// own form (RFC 3339 text in notices, milliseconds in stored rule states).
    func write(to w: inout JSONBytesWriter, timestamp: (Date, inout JSONBytesWriter) -> Void) {
        w.beginObject()
        w.member("id", ifPresent: id)
        w.member("labels", labels)
        w.member("metric", metric)
        w.member("relations", relations)
        w.key("subject")
        NotificationDocument.write(subject, to: &w)
        if let time = self.timestamp { timestamp(time, &w) }
        w.member("value", value)
        w.endObject()
    }
}

extension AckLink {
    func write(to w: inout JSONBytesWriter) {
        w.beginObject()
        w.member("apiURL", apiURL)
        w.member("expiresAt", expiresAt)
        w.member("token", token)
        w.member("url", url)
        w.endObject()
    }
}
