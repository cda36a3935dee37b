public import Foundation

/// What a channel renderer reads: one delivery's notice, decoded from the standard
/// webhook body the outbox holds (`WebhookPayload`).
///
/// Rendering starts from the stored body rather than from the evaluator's
/// `Notification` so the outbox keeps one shape for every format: a retry, a restart
/// or a reload that changes a target's format renders from the same bytes, and no
/// receiver's credential (a PagerDuty routing key, a URL) is ever written to the
/// outbox or the dead letters.
public struct ChannelNotice: Sendable, Equatable {
    /// A recipient of this delivery.
    public struct Person: Sendable, Equatable {
        public let id: String
        public let name: String
        /// Why they were chosen (`role:manager`, `relation:primary_coordinator`, …).
        public let path: String
        /// Their signed acknowledgement link, when the notice offers one.
        public let ackURL: String?
    }

    public let id: String
    public let transition: Transition
    public let ruleID: String
    public let ruleName: String
    public let tier: TierReference
    /// The tier an escalated or de-escalated notice moved from.
    public let previousTier: TierReference?
    public let episodeID: String
    public let episodeNumber: Int
    public let subject: MetricEvent.Subject
    public let metric: String
    public let value: Double
    public let labels: [String: String]
    public let relations: [String: String]
    public let eventTimestamp: String?
    public let occurredAt: String
    public let reason: String?
    public let actor: String?
    public let escalationStep: Int?
    public let recipients: [Person]
    /// The link at the top of a one-person message.
    public let topAckURL: String?
    /// The group whose channel this message goes to, if any.
    public let group: String?
    /// Who else the notice told, beyond this delivery's people (the body names only
    /// those): set by the daemon from the notice the audit log keeps; nil when unknown.
    public var alsoTold: AlsoTold?

    /// The acknowledgement link to show: the message's own, else the only recipient's.
    public var ackURL: String? { topAckURL ?? (recipients.count == 1 ? recipients[0].ackURL : nil) }

    /// Decodes a standard webhook body; nil when it is not one (a row from a newer
    /// version, or damaged), which the daemon turns into a dead letter.
    public init?(webhookBody data: Data) {
        guard case .object(let o)? = try? JSONValue.parse(data),
              let id = o["id"]?.stringValue, let transition = o["transition"]?.stringValue.flatMap(Transition.init(rawValue:)),
              case .object(let rule)? = o["rule"], case .object(let tier)? = o["tier"], case .object(let episode)? = o["episode"],
              case .object(let event)? = o["event"], case .object(let subject)? = o["subject"],
              let subjectID = subject["id"]?.stringValue, let value = event["value"]?.numberValue else { return nil }
        self.id = id
        self.transition = transition
        ruleID = rule["id"]?.stringValue ?? ""
        ruleName = rule["name"]?.stringValue ?? ruleID
        self.tier = TierReference(index: Int(tier["index"]?.numberValue ?? 0), name: tier["name"]?.stringValue ?? "",
                                  threshold: tier["threshold"]?.numberValue ?? 0)
        previousTier = o["previousTier"]?.tierReference
        episodeID = episode["id"]?.stringValue ?? id
        episodeNumber = Int(episode["number"]?.numberValue ?? 0)
        self.subject = MetricEvent.Subject(id: subjectID, type: subject["type"]?.stringValue, name: subject["name"]?.stringValue)
        metric = event["metric"]?.stringValue ?? ""
        self.value = value
        labels = event["labels"]?.stringMap ?? [:]
        relations = event["relations"]?.stringMap ?? [:]
        eventTimestamp = event["timestamp"]?.stringValue
        occurredAt = o["occurredAt"]?.stringValue ?? ""
        reason = o["reason"]?.stringValue
        actor = o["actor"]?.stringValue
        escalationStep = o["escalationStep"]?.numberValue.map { Int($0) }
        topAckURL = o["ack"]?.ackURL
        group = o["group"]?.stringValue
        alsoTold = nil
        guard case .array(let people)? = o["recipients"] else { return nil }
        recipients = people.compactMap { item in
            guard case .object(let p) = item, let id = p["id"]?.stringValue else { return nil }
            return Person(id: id, name: p["name"]?.stringValue ?? id, path: p["path"]?.stringValue ?? "", ackURL: p["ack"]?.ackURL)
        }
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var numberValue: Double? { if case .number(let n) = self { n } else { nil } }
    var stringMap: [String: String]? {
        guard case .object(let members) = self else { return nil }
        return members.compactMapValues(\.stringValue)
    }
    var ackURL: String? { if case .object(let a) = self { a["url"]?.stringValue } else { nil } }
    var tierReference: TierReference? {
        guard case .object(let t) = self, let name = t["name"]?.stringValue else { return nil }
        return TierReference(index: Int(t["index"]?.numberValue ?? 0), name: name, threshold: t["threshold"]?.numberValue ?? 0)
    }
}
