/// ntfy, published as JSON to the server's root URL (docs.ntfy.sh/publish, "Publish
/// as JSON"): `topic`, `title`, `message`, `priority`, `tags`, and a `view` action
/// that opens the ack page when there is one. Text is plain (no markup to escape).
///
/// The topic is the person's `contact.ntfy` on a per-recipient target, else the
/// target's `topic`. Priority: 5 for a critical tier, 3 for resolved, acknowledged and
/// de-escalated notices, else the target's `priority` (default 4, "high").
/// Limit: ntfy's default `message-size-limit` is 4,096 bytes (longer messages become
/// attachments), so the message is cut to fit.
enum NtfyFormat {
    static let maxMessageBytes = 4096
    static let maxTitle = 250
    /// ntfy allows at most three action buttons: one "Acknowledge", or in a message to
    /// several people the first three people's own links.
    static let maxActions = 3
    /// A button label longer than this is cut (phones show a short button).
    static let maxActionLabel = 40

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> Result<ChannelRequest, ChannelRenderError> {
        guard let topic = context.personalDestination ?? context.options.topic, !topic.isEmpty else {
            return .failure(.missing("no ntfy topic: set the target's 'topic' or the recipient's contact 'ntfy'"))
        }
        let message = ChannelMessage.build(n, context)
        var lines: [String] = []
        if let text = message.text { lines.append(text) }
        lines += message.facts.map { "\($0.0): \($0.1)" }
        if !message.people.isEmpty { lines.append(message.toldLine(limit: maxMessageBytes / 2) { "\($0.name) (\($0.path))" }) }
        if let also = message.alsoToldLine(limit: maxMessageBytes / 4, person: { "\($0.name) (\($0.path))" }) { lines.append(also) }
        var body: [String: JSONValue] = [
            "topic": .string(topic),
            "title": .string(Truncation.text(message.title, limit: maxTitle)),
            "message": .string(Truncation.bytes(lines.joined(separator: "\n"), limit: maxMessageBytes)),
            "priority": .number(Double(priority(n, context))),
            "tags": .array([.string(tag(n, context))]),
        ]
        if let ack = message.ackURL {
            body["click"] = .string(ack)
            body["actions"] = .array([view("Acknowledge", ack)])
        } else if !message.ackLinks.isEmpty {
            // A message to several: the first few people's own links (ntfy shows three).
            body["actions"] = .array(message.ackLinks.prefix(maxActions).map { view("Ack as \($0.name)", $0.ackURL ?? "") })
        }
        return .success(ChannelRequest(body: JSONValue.object(body).jsonData, idempotencyKey: context.deliveryID))
    }

    static func view(_ label: String, _ url: String) -> JSONValue {
        .object(["action": .string("view"), "label": .string(Truncation.text(label, limit: maxActionLabel)), "url": .string(url)])
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
