public import Foundation

/// Renders an `Explanation` for people (text) or programs (JSON).
public enum ExplanationRenderer {
    /// Human-readable: one block per event, one line per recipient with its path.
    public static func text(_ explanation: Explanation) -> String {
        var out = ""
        for step in explanation.steps {
            let event = step.outcome.event
            out += "event \(step.index + 1): \(event.metric) = \(JSONNumber.format(event.value)) for \(subjectText(event.subject))"
            if let id = event.id { out += " (id \(id))" }
            out += "\n"
            if step.outcome.duplicate {
                out += "  duplicate event id: ignored\n"
                continue
            }
            if step.outcome.rules.isEmpty { out += "  no rule matches metric '\(event.metric)'\n" }
            for rule in step.labelMismatches { out += "  rule \(rule): labels do not match\n" }
            for rule in step.outcome.rules { out += ruleText(rule) }
        }
        return out
    }

    private static func ruleText(_ rule: RuleOutcome) -> String {
        var out = "  rule \(rule.ruleID): "
        switch rule.status {
        case .outOfOrder:
            return out + "older than the last event applied to this subject: ignored (out of order)\n"
        case .rederived:
            return out + "tiers changed since the last event: tier re-derived as \(tierText(rule.tier)) without a notice\n"
        case .unchanged:
            return out + "stays \(tierText(rule.tier)); no notice\n"
        case .changed:
            out += "\(tierText(rule.previousTier)) → \(tierText(rule.tier))\n"
        }
        if rule.notifications.isEmpty { out += "    no notice (the rule does not ask for one)\n" }
        for notification in rule.notifications {
            out += "    \(notification.transition.rawValue) (tier \(notification.tier.name), episode \(notification.episode), id \(notification.id))\n"
            if notification.recipients.isEmpty { out += "      nobody to notify\n" }
            for person in notification.recipients {
                out += "      notify \(person.name) <\(person.id)> via \(person.path)\n"
            }
            for person in notification.excluded {
                let who = person.name.map { "\($0) <\(person.id ?? "?")>" } ?? person.id ?? "(nobody)"
                out += "      exclude \(who) via \(person.path): \(person.reason)\n"
            }
        }
        return out
    }

    private static func tierText(_ tier: TierReference?) -> String {
        tier.map { "tier \($0.name) (threshold \(JSONNumber.format($0.threshold)))" } ?? "below all tiers"
    }

    private static func subjectText(_ subject: MetricEvent.Subject) -> String {
        var text = subject.type.map { "\($0) " } ?? ""
        text += subject.id
        if let name = subject.name { text += " (\(name))" }
        return text
    }

    /// Machine-readable form; the same shape `POST /v1/explain` answers with.
    public static func json(_ explanation: Explanation) -> [String: Any] {
        ["steps": explanation.steps.map { step -> [String: Any] in
            [
                "index": step.index,
                "event": eventJSON(step.outcome.event),
                "duplicate": step.outcome.duplicate,
                "labelMismatches": step.labelMismatches,
                "rules": step.outcome.rules.map(ruleJSON),
            ]
        }, "outOfOrder": explanation.outOfOrderCount]
    }

    static func ruleJSON(_ rule: RuleOutcome) -> [String: Any] {
        [
            "rule": rule.ruleID,
            "subject": rule.subjectID,
            "status": rule.status.rawValue,
            "previousTier": tierJSON(rule.previousTier),
            "tier": tierJSON(rule.tier),
            "notifications": rule.notifications.map(NotificationJSON.object),
        ]
    }

    static func tierJSON(_ tier: TierReference?) -> Any {
        guard let tier else { return NSNull() }
        return ["index": tier.index, "name": tier.name, "threshold": tier.threshold] as [String: Any]
    }

    static func eventJSON(_ event: MetricEvent) -> [String: Any] {
        NotificationJSON.event(event)
    }

    /// Serialises a JSON object with sorted keys (stable output for tests and diffs).
    public static func serialize(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}

/// The JSON shape of a notification, shared by explain, the audit log and webhooks.
public enum NotificationJSON {
    public static func object(_ n: Notification) -> [String: Any] {
        [
            "id": n.id,
            "rule": ["id": n.ruleID, "name": n.ruleName],
            "tier": ["index": n.tier.index, "name": n.tier.name, "threshold": n.tier.threshold] as [String: Any],
            "transition": n.transition.rawValue,
            "episode": ["id": n.episodeID, "number": n.episode] as [String: Any],
            "subject": subject(n.subject),
            "event": event(n.event),
            "recipients": n.recipients.map { ["id": $0.id, "name": $0.name, "path": $0.path] },
            "excluded": n.excluded.map { p -> [String: Any] in
                ["id": p.id ?? NSNull(), "name": p.name ?? NSNull(), "path": p.path, "reason": p.reason]
            },
            "occurredAt": timestamp(n.occurredAt),
        ]
    }

    static func subject(_ s: MetricEvent.Subject) -> [String: Any] {
        var o: [String: Any] = ["id": s.id]
        if let type = s.type { o["type"] = type }
        if let name = s.name { o["name"] = name }
        return o
    }

    public static func event(_ e: MetricEvent) -> [String: Any] {
        var o: [String: Any] = ["metric": e.metric, "value": e.value, "subject": subject(e.subject),
                                "relations": e.relations, "labels": e.labels]
        if let id = e.id { o["id"] = id }
        if let t = e.timestamp { o["timestamp"] = timestamp(t) }
        return o
    }

    /// RFC 3339 with milliseconds, UTC.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
