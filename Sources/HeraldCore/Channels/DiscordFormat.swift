/// Discord webhook: `content` (the headline and the mentions, which only notify from
/// `content`) and one embed with the facts, who was told and the ack link.
///
/// Limits (discord-api-docs webhook.mdx, RECEIVERS.md): `content` 2,000 characters,
/// embed title 256, description 4,096, all embeds together 6,000, at most 10 embeds.
/// `allowed_mentions` pings only the people named, never `@everyone`.
enum DiscordFormat {
    static let maxContent = 2000
    static let maxEmbedTitle = 256
    static let maxEmbedDescription = 4096
    static let maxEmbedsTotal = 6000
    static let maxEmbeds = 10
    /// Discord accepts at most 100 user ids in `allowed_mentions.users`.
    static let maxAllowedMentions = 100

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let message = ChannelMessage.build(n, context, escape: ChannelEscaping.markdown)
        let ids = message.people.compactMap(\.mention)
        let mentions = ids.map { "<@\($0)>" }.joined(separator: " ")
        let content = "**\(ChannelEscaping.markdown(message.title))**" + (mentions.isEmpty ? "" : "\n" + mentions)
        let description = MattermostFormat.markdownText(n, context, limit: maxEmbedDescription, includeTitle: false) { "<@\($0)>" }
        var embed: [String: JSONValue] = [
            "title": .string(Truncation.text(message.title, limit: maxEmbedTitle)),
            "description": .string(description),
            "color": .number(n.transition == .resolved ? 0x2EB67D : context.critical ? 0xE01E5A : 0xECB22E),
        ]
        if let ack = message.ackURL { embed["url"] = .string(ack) }
        var body: [String: JSONValue] = [
            "content": .string(Truncation.text(content, limit: maxContent)),
            "embeds": .array([.object(embed)]),
            "allowed_mentions": .object(["parse": .array([]), "users": .array(ids.prefix(maxAllowedMentions).map { .string($0) })]),
        ]
        if let username = context.options.username { body["username"] = .string(username) }
        return ChannelRequest(body: JSONValue.object(body).jsonData, idempotencyKey: context.deliveryID)
    }
}
