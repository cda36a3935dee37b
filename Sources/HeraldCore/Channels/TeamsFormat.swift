import Foundation

/// Microsoft Teams through a Workflows (Power Automate) webhook: a `message` with one
/// Adaptive Card attachment (version 1.4): the headline, the rule's text, a FactSet,
/// who was told, and an `Action.OpenUrl` to acknowledge.
///
/// Limit (msteams-docs add-incoming-webhook.md, RECEIVERS.md): the message at most
/// 28 KB; Power Automate answers 202 even when Teams later drops a larger one, so the
/// told list is cut until the body fits. TextBlocks are plain text here: Teams'
/// Markdown subset has no escape character, so values are shown as written.
enum TeamsFormat {
    static let maxBodyBytes = 28 * 1024
    static let cardVersion = "1.4"
    /// Told-list lengths tried, longest first, until the body fits `maxBodyBytes`.
    static let toldLimits = [20_000, 10_000, 4000, 1000, 200]

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let message = ChannelMessage.build(n, context)
        var body = Data()
        for limit in toldLimits {
            body = document(message, toldLimit: limit).jsonData
            if body.count <= maxBodyBytes { break }
        }
        return ChannelRequest(body: body, idempotencyKey: context.deliveryID)
    }

    static func document(_ message: ChannelMessage, toldLimit: Int) -> JSONValue {
        var blocks: [JSONValue] = [textBlock(Truncation.text(message.title, limit: 1000), bold: true)]
        if let text = message.text { blocks.append(textBlock(Truncation.text(text, limit: 4000))) }
        blocks.append(.object(["type": .string("FactSet"), "facts": .array(message.facts.map {
            .object(["title": .string($0.0), "value": .string(Truncation.text($0.1, limit: 1000))])
        })]))
        if !message.people.isEmpty {
            blocks.append(textBlock(message.toldLine(limit: toldLimit) { "\($0.name) (\($0.path))" }))
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
