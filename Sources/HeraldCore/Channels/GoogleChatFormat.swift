import Foundation

/// Google Chat incoming webhook (`spaces.messages.create`): a card message (`cardsV2`),
/// threaded per episode, with `fallbackText` for notifications.
///
/// Why a card and not `text`: a text message is written in Chat's own markup, which has
/// no escape character (developers.google.com/workspace/chat/format-messages): a subject
/// named `<users/all>` would notify the whole space and `*x*` would turn bold. A card's
/// `textParagraph` "is rendered as HTML", which can be escaped (`ChannelEscaping.html`),
/// so every value is shown as written. `fallbackText` is plain text.
///
/// Retries never post twice: the delivery id goes in the documented `requestId` query
/// parameter ("specifying an existing request ID returns the message created with that
/// ID"). `thread.threadKey` is the episode, with `messageReplyOption=
/// REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`, so an episode's notices read as one thread.
/// Limits (developers.google.com/chat, RECEIVERS.md): the message at most 32,000 bytes,
/// a thread key at most 4,000 characters.
enum GoogleChatFormat {
    static let maxMessageBytes = 32_000
    static let maxThreadKey = 4000
    static let maxFallbackText = 1000
    static let replyOption = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    static let cardID = "herald-notice"
    /// Told-list lengths tried, longest first, until the message fits `maxMessageBytes`.
    static let toldLimits = [20_000, 8000, 2000, 500]
    /// Characters of the "Acknowledge as" and "Also told" paragraphs.
    static let maxLinksText = 4000

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let message = ChannelMessage.build(n, context, escape: ChannelEscaping.html)
        var body = Data()
        for limit in toldLimits {
            body = document(n, message, toldLimit: limit).jsonData
            if body.count <= maxMessageBytes { break }
        }
        let query = [ChannelHeader("messageReplyOption", replyOption), ChannelHeader("requestId", context.deliveryID)]
        return ChannelRequest(body: body, query: query, idempotencyKey: context.deliveryID)
    }

    static func document(_ n: ChannelNotice, _ message: ChannelMessage, toldLimit: Int) -> JSONValue {
        let esc = ChannelEscaping.html
        var widgets: [JSONValue] = [paragraph("<b>\(esc(Truncation.text(message.title, limit: 1000)))</b>")]
        if let text = message.text { widgets.append(paragraph(Truncation.text(text, limit: 4000))) }
        widgets.append(paragraph(message.facts.map { "<b>\(esc($0.0)):</b> \(esc(Truncation.text($0.1, limit: 1000)))" }.joined(separator: "<br>")))
        if !message.people.isEmpty {
            widgets.append(paragraph(message.toldLine(limit: toldLimit) { "\(esc($0.name)) (\(esc($0.path)))" }))
        }
        if let also = message.alsoToldLine(limit: min(toldLimit, maxLinksText), person: { "\(esc($0.name)) (\(esc($0.path)))" }) {
            widgets.append(paragraph(also))
        }
        if let links = message.ackAsLine(limit: min(toldLimit, maxLinksText), link: { "<a href=\"\(esc($1))\">\(esc($0.name))</a>" }) {
            widgets.append(paragraph(links))
        }
        if let ack = message.ackURL {
            widgets.append(.object(["buttonList": .object(["buttons": .array([.object([
                "text": .string("Acknowledge"), "onClick": .object(["openLink": .object(["url": .string(ack)])]),
            ])])])]))
        }
        let card: JSONValue = .object(["cardId": .string(cardID), "card": .object(["sections": .array([.object(["widgets": .array(widgets)])])])])
        return .object([
            "cardsV2": .array([card]),
            "fallbackText": .string(Truncation.text(message.title, limit: maxFallbackText)),
            "thread": .object(["threadKey": .string(IdempotencyKey.fit(n.episodeID, maxLength: maxThreadKey))]),
        ])
    }

    static func paragraph(_ html: String) -> JSONValue {
        .object(["textParagraph": .object(["text": .string(html)])])
    }
}
