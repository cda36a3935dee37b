public import Foundation

/// The JSON shape of a notification, shared by explain, the audit log and webhooks.
public enum NotificationJSON {
    /// `reason` is left out for notices stored before reasons existed; `actor` is only
    /// present on manual notices (acknowledged, resolved by hand), `escalationStep` on
    /// timeout notices.
    public static func object(_ n: Notification) -> [String: Any] {
        var object = fields(n)
        if let reason = n.reason { object["reason"] = reason.rawValue }
        if let actor = n.actor { object["actor"] = actor }
        if let step = n.escalationStep { object["escalationStep"] = step }
        if let unrouted = n.unrouted { object["unrouted"] = unrouted }
        return object
    }

    private static func fields(_ n: Notification) -> [String: Any] {
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
