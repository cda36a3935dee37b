public import Foundation

/// Renders an `Explanation` for people (text) or programs (JSON).
public enum ExplanationRenderer {
    /// Human-readable: one block per event, one line per recipient with its path; with
    /// `directory`, recipients not defined in the config say where they come from; with
    /// `config`, each recipient line names the targets (and formats) it goes to.
    public static func text(_ explanation: Explanation, directory: Directory? = nil, config: HeraldConfig? = nil) -> String {
        var out = ""
        for item in explanation.rederivations {
            out += "state: rule \(item.key.ruleID) subject \(item.key.subjectID): tiers changed since the state was written; "
                + "judged from \(tierText(item.tier)), told: \(item.toldTiers.isEmpty ? "none" : item.toldTiers.joined(separator: ", "))\n"
        }
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
            for rule in step.outcome.rules {
                out += ruleText(rule, holds: step.holds, directory: directory, config: config)
                let key = RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID)
                if let forecast = step.forecasts.first(where: { $0.key == key }) { out += forecastText(forecast, holds: step.holds) }
            }
        }
        return out
    }

    private static func ruleText(_ rule: RuleOutcome, holds: [String: Explanation.NoticeHolds], directory: Directory?,
                                 config: HeraldConfig?) -> String {
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
            out += recipientsText(notification, holds: holds[notification.id], indent: "      ", directory: directory,
                                  routes: config.map { ChannelReach.routes(notification, config: $0) })
        }
        return out
    }

    private static func recipientsText(_ notification: Notification, holds: Explanation.NoticeHolds?, indent: String,
                                       directory: Directory?, routes: [String: ChannelReach.Routes]? = nil) -> String {
        var out = ""
        if let silence = holds?.silence {
            out += "\(indent)suppressed by silence \(silence.id) (\(silence.author): \(silence.comment)) until \(NotificationJSON.timestamp(silence.endsAt))\n"
        }
        if notification.unrouted == true {
            out += notification.recipients.isEmpty ? "\(indent)nobody to notify, and no 'unrouted' fallback\n"
                : "\(indent)its audience is empty: sent to the 'unrouted' fallback\n"
        }
        let quiet = Dictionary((holds?.quiet ?? []).map { ($0.userID, $0.until) }, uniquingKeysWith: { a, _ in a })
        for person in notification.recipients {
            out += "\(indent)notify \(person.name) <\(person.id)> via \(person.path)"
            if let directory, let u = directory.user(person.id), directory.users[u].source != .config {
                out += " (from \(directory.users[u].source))"
            }
            if let until = quiet[person.id] { out += ", held by quiet hours until \(NotificationJSON.timestamp(until))" }
            if let route = routes?[person.id] {
                out += " → " + (route.to.isEmpty ? "no target" : route.to.map(\.text).joined(separator: ", "))
                if !route.notSent.isEmpty { out += "; not sent: " + route.notSent.map(\.reason).joined(separator: ", ") }
            } else if routes != nil {
                out += " → no target"
            }
            out += "\n"
        }
        for person in notification.excluded {
            let who = person.name.map { "\($0) <\(person.id ?? "?")>" } ?? person.id ?? "(nobody)"
            out += "\(indent)exclude \(who) via \(person.path): \(person.reason)\n"
        }
        return out
    }

    private static func forecastText(_ forecast: Explanation.EscalationForecast, holds: [String: Explanation.NoticeHolds]) -> String {
        var out = "    if nobody acknowledges:\n"
        for notification in forecast.notifications {
            out += "      at \(NotificationJSON.timestamp(notification.occurredAt)): escalated (timeout, tier \(notification.tier.name))\n"
            out += recipientsText(notification, holds: holds[notification.id], indent: "        ", directory: nil)
        }
        if forecast.more > 0 { out += "      … and \(forecast.more) more step(s)\n" }
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

    /// Machine-readable form; the same shape `POST /v1/explain` answers with. With
    /// `config`, each notice lists per recipient the targets and formats it goes to
    /// (`routes`), as the text form does.
    public static func json(_ explanation: Explanation, config: HeraldConfig? = nil) -> [String: Any] {
        ["steps": explanation.steps.map { step -> [String: Any] in
            [
                "index": step.index,
                "event": eventJSON(step.outcome.event),
                "duplicate": step.outcome.duplicate,
                "labelMismatches": step.labelMismatches,
                "rules": step.outcome.rules.map { rule -> [String: Any] in
                    var object = ruleJSON(rule)
                    object["notifications"] = rule.notifications.map { noticeJSON($0, step.holds, config: config) }
                    let key = RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID)
                    if let forecast = step.forecasts.first(where: { $0.key == key }) {
                        object["escalationForecast"] = ["notifications": forecast.notifications.map { noticeJSON($0, step.holds, config: config) },
                                                        "more": forecast.more] as [String: Any]
                    }
                    return object
                },
            ]
        }, "outOfOrder": explanation.outOfOrderCount,
           "rederived": explanation.rederivations.map { item -> [String: Any] in
               ["rule": item.key.ruleID, "subject": item.key.subjectID, "tier": tierJSON(item.tier), "toldTiers": item.toldTiers]
           }]
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

    /// A notice with what would hold it: `suppressedBy` (silence id) and `heldUntil`
    /// (user id → end of their quiet hours); with `config`, its `routes` and the
    /// `recipientSources` of people not defined in the config.
    static func noticeJSON(_ notification: Notification, _ holds: [String: Explanation.NoticeHolds],
                           config: HeraldConfig? = nil) -> [String: Any] {
        var object = NotificationJSON.object(notification)
        if let config {
            object["routes"] = routesJSON(notification, config: config)
            let sources = recipientSources(notification, directory: config.directory)
            if !sources.isEmpty { object["recipientSources"] = sources }
        }
        if let hold = holds[notification.id] {
            if let silence = hold.silence { object["suppressedBy"] = silence.id }
            if !hold.quiet.isEmpty {
                object["heldUntil"] = Dictionary(hold.quiet.map { ($0.userID, NotificationJSON.timestamp($0.until)) }, uniquingKeysWith: { a, _ in a })
            }
        }
        return object
    }

    /// Recipients not defined in the config → where they come from (`scim`, or the
    /// directory file's name), as the text form's "(from …)".
    static func recipientSources(_ notification: Notification, directory: Directory) -> [String: String] {
        var sources: [String: String] = [:]
        for person in notification.recipients {
            if let u = directory.user(person.id), directory.users[u].source != .config { sources[person.id] = directory.users[u].source.description }
        }
        return sources
    }

    /// One entry per recipient, in the notice's order: `{user, targets: [{target, format}],
    /// notSent: [{target, reason}]}` (an empty `targets` is the text form's "no target").
    static func routesJSON(_ notification: Notification, config: HeraldConfig) -> [[String: Any]] {
        let routes = ChannelReach.routes(notification, config: config)
        return notification.recipients.map { person in
            let route = routes[person.id] ?? ChannelReach.Routes()
            return [
                "user": person.id,
                "targets": route.to.map { ["target": $0.target, "format": $0.format.rawValue] },
                "notSent": route.notSent.map { ["target": $0.target, "reason": $0.reason] },
            ] as [String: Any]
        }
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
