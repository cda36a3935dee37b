/// ntfy, published as JSON to the server's root URL (docs.ntfy.sh/publish, "Publish
/// as JSON"): `topic`, `title`, `message`, `priority`, `tags`, and a `view` action
/// that opens the ack page when there is one.
///
/// The topic is the person's `contact.ntfy` on a per-recipient target, else the
/// target's `topic`. Priority: 5 for a critical tier, 3 for resolved, acknowledged and
/// de-escalated notices, else the target's `priority` (default 4, "high").
/// Limit: ntfy's default `message-size-limit` is 4,096 bytes (longer messages become
/// attachments), so the message is cut to fit.
enum NtfyFormat {
    static let maxMessageBytes = 4096
    static let maxTitle = 250
    /// ntfy allows at most three action buttons; Herald uses one.
    static let maxActions = 3

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> Result<ChannelRequest, ChannelRenderError> {
        guard let topic = context.personalDestination ?? context.options.topic, !topic.isEmpty else {
            return .failure(.missing("no ntfy topic: set the target's 'topic' or the recipient's contact 'ntfy'"))
        }
        let message = ChannelMessage.build(n, context)
        var lines: [String] = []
        if let text = message.text { lines.append(text) }
        lines += message.facts.map { "\($0.0): \($0.1)" }
        if !message.people.isEmpty { lines.append(message.toldLine(limit: maxMessageBytes / 2) { "\($0.name) (\($0.path))" }) }
        var body: [String: JSONValue] = [
            "topic": .string(topic),
            "title": .string(Truncation.text(message.title, limit: maxTitle)),
            "message": .string(Truncation.bytes(lines.joined(separator: "\n"), limit: maxMessageBytes)),
            "priority": .number(Double(priority(n, context))),
            "tags": .array([.string(tag(n, context))]),
        ]
        if let ack = message.ackURL {
            body["click"] = .string(ack)
            body["actions"] = .array([.object(["action": .string("view"), "label": .string("Acknowledge"), "url": .string(ack)])])
        }
        return .success(ChannelRequest(body: JSONValue.object(body).jsonData, idempotencyKey: context.deliveryID))
    }

    static func priority(_ n: ChannelNotice, _ context: ChannelContext) -> Int {
        if context.critical, n.transition != .resolved { return 5 }
        switch n.transition {
        case .resolved, .acknowledged, .deescalated: return 3
        default: return context.options.priority ?? ChannelOptions.defaultNtfyPriority
        }
    }

    /// An emoji tag ntfy shows before the title.
    static func tag(_ n: ChannelNotice, _ context: ChannelContext) -> String {
        switch n.transition {
        case .resolved: "white_check_mark"
        case .acknowledged: "eyes"
        default: context.critical ? "rotating_light" : "warning"
        }
    }
}
