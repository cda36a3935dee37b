/// What a renderer needs besides the notice: the target's format and options, the
/// rule's own texts, and what the config says about the people and the tier. Built by
/// `make` from the current config, so a corrected config applies to retries too.
public struct ChannelContext: Sendable {
    public var format: ChannelFormat
    public var options: ChannelOptions
    /// The rule's `message` templates, if it has any.
    public var message: MessageTemplate?
    /// Whether the notice's tier is critical (PagerDuty severity, ntfy priority 5).
    public var critical: Bool
    /// Recipient id → their handle on this receiver (`contact.slack`, …), for mentions.
    public var handles: [String: String]
    /// The per-recipient destination from the person's contact (ntfy topic, PagerDuty
    /// routing key); wins over the target's own.
    public var personalDestination: String?
    /// The `webhook-id` of this delivery: stable across retries.
    public var deliveryID: String
    /// The target's PagerDuty routing key, read from its secret source by the daemon.
    public var routingKey: String?

    public init(format: ChannelFormat, options: ChannelOptions = ChannelOptions(), message: MessageTemplate? = nil,
                critical: Bool = false, handles: [String: String] = [:], personalDestination: String? = nil,
                deliveryID: String, routingKey: String? = nil) {
        self.format = format
        self.options = options
        self.message = message
        self.critical = critical
        self.handles = handles
        self.personalDestination = personalDestination
        self.deliveryID = deliveryID
        self.routingKey = routingKey
    }

    /// The context of `notice` on `target` under `config`.
    public static func make(_ notice: ChannelNotice, target: TargetDefinition, config: HeraldConfig,
                            deliveryID: String, routingKey: String?) -> ChannelContext {
        let rule = config.rule(id: notice.ruleID)
        let tier = rule.flatMap { notice.tier.index >= 0 && notice.tier.index < $0.tiers.count ? $0.tiers[notice.tier.index] : nil }
        var handles: [String: String] = [:]
        if let field = target.format.contactField {
            for person in notice.recipients {
                if let u = config.directory.user(person.id), let handle = config.directory.users[u].contact.handles[field] {
                    handles[person.id] = handle
                }
            }
        }
        let personal = notice.recipients.count == 1 && notice.group == nil && target.format.contactIsDestination
            ? handles[notice.recipients[0].id] : nil
        return ChannelContext(format: target.format, options: target.channel, message: rule?.message,
                              critical: tier?.critical ?? false, handles: target.format.contactIsDestination ? [:] : handles,
                              personalDestination: personal, deliveryID: deliveryID, routingKey: routingKey)
    }
}
