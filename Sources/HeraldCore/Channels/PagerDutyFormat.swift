/// PagerDuty Events API v2 (`POST /v2/enqueue`): one alert per episode.
///
/// `dedup_key` is the episode id, so every notice of an episode updates one alert:
/// firing, escalated, de-escalated and repeated notices `trigger` (PagerDuty keeps one
/// alert per key and updates it), `acknowledged` → `acknowledge`, `resolved` →
/// `resolve`. Severity: a critical tier is `critical`, else the target's `severity`
/// for the tier name, else `warning`. The routing key comes from the target's secret
/// source, or on a per-recipient target from the person's `contact.pagerduty`.
///
/// Limits (PagerDuty developer-docs 02-Trigger-Events.md, RECEIVERS.md): `summary`
/// 1,024 characters, `dedup_key` 255, the whole event 512 KB. Answers: 202 accepted,
/// 400 invalid event (dead letter, a retry cannot help), 429 and 5xx retried.
enum PagerDutyFormat {
    static let maxSummary = 1024
    static let maxDedupKey = 255
    /// Recipients listed in `custom_details`; the rest are counted, which keeps the
    /// event far below the 512 KB limit.
    static let maxListedRecipients = 100
    static let defaultSource = "herald"

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> Result<ChannelRequest, ChannelRenderError> {
        guard let key = context.personalDestination ?? context.routingKey, !key.isEmpty else {
            return .failure(.missing("no PagerDuty routing key: set the target's 'routingKey' or the recipient's contact 'pagerduty'"))
        }
        let dedup = IdempotencyKey.fit(n.episodeID, maxLength: maxDedupKey)
        var event: [String: JSONValue] = [
            "routing_key": .string(key), "event_action": .string(action(n.transition)), "dedup_key": .string(dedup),
        ]
        if action(n.transition) == "trigger" {
            event["payload"] = payload(n, context)
            event["client"] = .string("Herald")
            if let links = links(ChannelMessage.build(n, context)) { event["links"] = links }
        }
        return .success(ChannelRequest(body: JSONValue.object(event).jsonData, idempotencyKey: dedup))
    }

    /// The ack link, or in a message to several people each one's own (at most
    /// `ChannelMessage.maxAckLinks`): PagerDuty shows `links` on the alert.
    static func links(_ message: ChannelMessage) -> JSONValue? {
        if let ack = message.ackURL { return .array([link(ack, "Acknowledge in Herald")]) }
        let people = message.ackLinks.prefix(ChannelMessage.maxAckLinks)
        return people.isEmpty ? nil : .array(people.map { link($0.ackURL ?? "", "Acknowledge in Herald as \($0.name)") })
    }

    static func link(_ href: String, _ text: String) -> JSONValue {
        .object(["href": .string(href), "text": .string(text)])
    }

    static func action(_ transition: Transition) -> String {
        switch transition {
        case .firing, .escalated, .deescalated, .repeated: "trigger"
        case .acknowledged: "acknowledge"
        case .resolved: "resolve"
        }
    }

    static func payload(_ n: ChannelNotice, _ context: ChannelContext) -> JSONValue {
        let message = ChannelMessage.build(n, context)
        let listed = n.recipients.prefix(maxListedRecipients).map { JSONValue.string("\($0.name) (\($0.path))") }
        var details: [String: JSONValue] = [
            "tier": .string(n.tier.name), "threshold": .number(n.tier.threshold), "value": .number(n.value),
            "transition": .string(n.transition.rawValue), "episode": .string(n.episodeID), "notice": .string(n.id),
            "recipients": .array(Array(listed)),
        ]
        if n.recipients.count > maxListedRecipients { details["recipients_omitted"] = .number(Double(n.recipients.count - maxListedRecipients)) }
        if let others = n.alsoTold {
            details["also_told"] = .array(others.people.map { .string("\($0.name) (\($0.path))") })
            details["also_told_total"] = .number(Double(others.total))
        }
        if let previous = n.previousTier { details["previous_tier"] = .string(previous.name) }
        if let text = message.text { details["text"] = .string(text) }
        if !n.labels.isEmpty { details["labels"] = .object(n.labels.mapValues { .string($0) }) }
        if !n.relations.isEmpty { details["relations"] = .object(n.relations.mapValues { .string($0) }) }
        var payload: [String: JSONValue] = [
            "summary": .string(Truncation.text(message.title, limit: maxSummary)),
            "source": .string(context.options.source ?? defaultSource),
            "severity": .string(context.options.severity(tier: n.tier.name, critical: context.critical).rawValue),
            "component": .string(n.subject.id), "group": .string(n.ruleID), "class": .string(n.metric),
            "custom_details": .object(details),
        ]
        if let time = n.eventTimestamp ?? (n.occurredAt.isEmpty ? nil : n.occurredAt) { payload["timestamp"] = .string(time) }
        return .object(payload)
    }
}
