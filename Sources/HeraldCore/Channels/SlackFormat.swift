/// Slack incoming webhook: `text` (the fallback shown in notifications, always present:
/// Slack answers `400 no_text` without it) and Block Kit `blocks` in mrkdwn: headline,
/// the rule's text, facts, who was told (and who else, for a message to some of them),
/// and the ack link — one, or each person's own in a message to several.
///
/// Limits (api.slack.com, RECEIVERS.md): a section's text at most 3,000 characters,
/// at most 50 blocks; `text` is cut by Slack beyond 40,000. Mentions are `<@U…>` from
/// each person's `contact.slack`.
enum SlackFormat {
    static let maxSectionText = 3000
    static let maxBlocks = 50
    static let maxText = 40_000

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let esc = ChannelEscaping.angleBrackets
        let message = ChannelMessage.build(n, context, escape: esc)
        let title = esc(message.title)
        var blocks: [JSONValue] = [section("*\(title)*")]
        if let text = message.text { blocks.append(section(text)) }
        blocks.append(section(message.facts.map { "*\(esc($0.0)):* \(esc($0.1))" }.joined(separator: "\n")))
        if !message.people.isEmpty {
            blocks.append(section(message.toldLine(limit: maxSectionText) { p in
                (p.mention.map { "<@\(esc($0))> " } ?? "") + "\(esc(p.name)) (\(esc(p.path)))"
            }))
        }
        if let also = message.alsoToldLine(limit: maxSectionText, person: { "\(esc($0.name)) (\(esc($0.path)))" }) {
            blocks.append(section(also))
        }
        if let ack = message.ackURL { blocks.append(section("<\(esc(ack))|Acknowledge>")) }
        if let links = message.ackAsLine(limit: maxSectionText, link: { "<\(esc($1))|\(esc($0.name))>" }) {
            blocks.append(section(links))
        }
        var body: [String: JSONValue] = ["text": .string(Truncation.text(title, limit: maxText)),
                                         "blocks": .array(Array(blocks.prefix(maxBlocks)))]
        if let username = context.options.username { body["username"] = .string(username) }
        return ChannelRequest(body: JSONValue.object(body).jsonData, idempotencyKey: context.deliveryID)
    }

    static func section(_ mrkdwn: String) -> JSONValue {
        .object(["type": .string("section"),
                 "text": .object(["type": .string("mrkdwn"), "text": .string(Truncation.text(mrkdwn, limit: maxSectionText))])])
    }
}
