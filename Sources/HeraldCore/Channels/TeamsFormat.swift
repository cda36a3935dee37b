import Foundation

/// Microsoft Teams through a Workflows (Power Automate) webhook: a `message` with one
/// Adaptive Card attachment (version 1.4): the headline, the rule's text, a FactSet,
/// who was told (and who else), and an `Action.OpenUrl` to acknowledge — or, in a
/// message to several people, each one's own link ("Acknowledge as …").
///
/// Limit (msteams-docs add-incoming-webhook.md, RECEIVERS.md): the message at most
/// 28 KB; Power Automate answers 202 even when Teams later drops a larger one, so the
/// told list is cut until the body fits. TextBlock and Fact texts are Markdown in
/// Teams, so every value Herald writes is escaped (`ChannelEscaping.teams`): a subject
/// named `**urgent** <at>all</at>` is shown as written.
enum TeamsFormat {
    static let maxBodyBytes = 28 * 1024
    static let cardVersion = "1.4"
    /// Told-list lengths tried, longest first, until the body fits `maxBodyBytes`.
    static let toldLimits = [20_000, 10_000, 4000, 1000, 200]
    /// Characters of the "Acknowledge as" and "Also told" lines.
    static let maxLinksText = 3000

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let message = ChannelMessage.build(n, context, escape: ChannelEscaping.teams)
        var body = Data()
        for limit in toldLimits {
            body = document(message, toldLimit: limit).jsonData
            if body.count <= maxBodyBytes { break }
        }
        return ChannelRequest(body: body, idempotencyKey: context.deliveryID)
    }

    static func document(_ message: ChannelMessage, toldLimit: Int) -> JSONValue {
        let esc = ChannelEscaping.teams
        var blocks: [JSONValue] = [textBlock(Truncation.text(esc(message.title), limit: 1000), bold: true)]
        if let text = message.text { blocks.append(textBlock(Truncation.text(text, limit: 4000))) }
        blocks.append(.object(["type": .string("FactSet"), "facts": .array(message.facts.map {
            .object(["title": .string(esc($0.0)), "value": .string(Truncation.text(esc($0.1), limit: 1000))])
        })]))
        if !message.people.isEmpty {
            blocks.append(textBlock(message.toldLine(limit: toldLimit) { "\(esc($0.name)) (\(esc($0.path)))" }))
        }
        if let also = message.alsoToldLine(limit: min(toldLimit, maxLinksText), person: { "\(esc($0.name)) (\(esc($0.path)))" }) {
            blocks.append(textBlock(also))
        }
        if let links = message.ackAsLine(limit: min(toldLimit, maxLinksText), link: { "[\(esc($0.name))](\($1))" }) {
            blocks.append(textBlock(links))
        }
        var card: [String: JSONValue] = [
            "$schema": .string("http://adaptivecards.io/schemas/adaptive-card.json"),
            "type": .string("AdaptiveCard"), "version": .string(cardVersion), "body": .array(blocks),
        ]
        if let ack = message.ackURL {
            card["actions"] = .array([.object(["type": .string("Action.OpenUrl"), "title": .string("Acknowledge"), "url": .string(ack)])])
        }
        return .object(["type": .string("message"), "attachments": .array([.object([
            "contentType": .string("application/vnd.microsoft.card.adaptive"), "contentUrl": .null, "content": .object(card),
        ])])])
    }

    static func textBlock(_ text: String, bold: Bool = false) -> JSONValue {
        var block: [String: JSONValue] = ["type": .string("TextBlock"), "text": .string(text), "wrap": .bool(true)]
        if bold {
            block["weight"] = .string("Bolder")
            block["size"] = .string("Medium")
        }
        return .object(block)
    }
}
