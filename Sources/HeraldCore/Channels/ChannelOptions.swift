/// A target's format-specific settings, as configured (see `herald.schema.json`,
/// `$defs/target`). Each format reads only its own; the decoder refuses the others.
public struct ChannelOptions: Sendable, Equatable {
    /// PagerDuty: the integration's routing key, read at start-up like a signing secret.
    public var routingKey: SecretSource?
    /// PagerDuty: tier name → severity; a critical tier is always `critical`, others
    /// default to `warning`.
    public var severity: [String: PagerDutySeverity] = [:]
    /// PagerDuty: `payload.source`, defaults to `herald`.
    public var source: String?
    /// ntfy: the topic (a per-recipient target may use each person's `contact.ntfy`).
    public var topic: String?
    /// ntfy: priority 1–5 for notices of non-critical tiers (critical ones are 5).
    public var priority: Int?
    /// Slack, Discord, Mattermost: the display name the message is posted under.
    public var username: String?
    /// template: the JSON body, its strings filled in per notice.
    public var template: BodyTemplate?

    public init() {}

    /// The PagerDuty severity of a notice of `tier`.
    public func severity(tier: String, critical: Bool) -> PagerDutySeverity {
        critical ? .critical : severity[tier] ?? .warning
    }

    /// ntfy's default priority for non-critical notices ("high").
    public static let defaultNtfyPriority = 4
}

/// A JSON document whose strings are templates: the `template` format's body. Filling
/// it in can never produce invalid JSON, because values are substituted into strings
/// and the document is written by the JSON writer, not pasted as text.
public indirect enum BodyTemplate: Sendable, Equatable {
    case literal(JSONValue)
    case text(TemplateText)
    case array([BodyTemplate])
    case object([String: BodyTemplate])

    /// The document for `notice`.
    public func fill(_ notice: ChannelNotice) -> JSONValue {
        switch self {
        case .literal(let value): value
        case .text(let text): .string(text.render(notice))
        case .array(let items): .array(items.map { $0.fill(notice) })
        case .object(let members): .object(members.mapValues { $0.fill(notice) })
        }
    }
}
