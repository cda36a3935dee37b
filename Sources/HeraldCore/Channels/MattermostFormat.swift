/// Mattermost incoming webhook: Slack-compatible JSON with a Markdown `text`.
///
/// Limit: `text` at most 16,383 characters (Alertmanager's `maxTextLenRunes`,
/// RECEIVERS.md). Mentions are `@username` from each person's `contact.mattermost`.
enum MattermostFormat {
    static let maxText = 16_383

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let text = markdownText(n, context, limit: maxText) { "@\($0)" }
        var body: [String: JSONValue] = ["text": .string(text)]
        if let username = context.options.username { body["username"] = .string(username) }
        return ChannelRequest(body: JSONValue.object(body).jsonData, idempotencyKey: context.deliveryID)
    }

    /// The Markdown message shared by Mattermost and Discord's embed: bold headline,
    /// facts, the told list cut to fit `limit`, who else was told, and the ack link (or
    /// each person's own, "Acknowledge as …", in a message to several).
    static func markdownText(_ n: ChannelNotice, _ context: ChannelContext, limit: Int, includeTitle: Bool = true,
                             mention: (String) -> String) -> String {
        let esc = ChannelEscaping.markdown
        let message = ChannelMessage.build(n, context, escape: esc)
        var parts: [String] = []
        if includeTitle { parts.append("**\(esc(message.title))**") }
        if let text = message.text { parts.append(text) }
        parts.append(message.facts.map { "**\(esc($0.0)):** \(esc($0.1))" }.joined(separator: "\n"))
        let ack = message.ackURL.map { "[Acknowledge](\($0))" }
            ?? message.ackAsLine(limit: min(4000, limit / 3)) { "[\(esc($0.name))](\($1))" }
        let also = message.alsoToldLine(limit: min(2000, limit / 4)) { "\(esc($0.name)) (\(esc($0.path)))" }
        let fixed = parts.joined(separator: "\n\n").count + [ack, also].compactMap { $0.map { $0.count + 2 } }.reduce(0, +) + 2
        if !message.people.isEmpty {
            parts.append(message.toldLine(limit: max(40, limit - fixed)) { p in
                (p.mention.map { mention($0) + " " } ?? "") + "\(esc(p.name)) (\(esc(p.path)))"
            })
        }
        if let also { parts.append(also) }
        if let ack { parts.append(ack) }
        return Truncation.text(parts.joined(separator: "\n\n"), limit: limit)
    }
}
