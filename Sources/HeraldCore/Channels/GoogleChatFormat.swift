/// Google Chat incoming webhook (`spaces.messages.create`): a `text` message, threaded
/// per episode.
///
/// Retries never post twice: the delivery id goes in the documented `requestId` query
/// parameter ("specifying an existing request ID returns the message created with that
/// ID"). `thread.threadKey` is the episode, with `messageReplyOption=
/// REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`, so an episode's notices read as one thread.
/// Limits (developers.google.com/chat, RECEIVERS.md): the message at most 32,000 bytes,
/// a thread key at most 4,000 characters. Text is shown as written (`*bold*` and
/// `<url|label>` links are the only syntax used).
enum GoogleChatFormat {
    static let maxMessageBytes = 32_000
    /// Room left in the message for the JSON around the text and its escapes.
    static let maxTextBytes = 30_000
    static let maxThreadKey = 4000
    static let replyOption = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"

    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let message = ChannelMessage.build(n, context)
        var parts = ["*\(message.title)*"]
        if let text = message.text { parts.append(text) }
        parts.append(message.facts.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
        if !message.people.isEmpty {
            parts.append(message.toldLine(limit: maxTextBytes / 4) { "\($0.name) (\($0.path))" })
        }
        if let ack = message.ackURL { parts.append("<\(ack)|Acknowledge>") }
        let body: JSONValue = .object([
            "text": .string(Truncation.bytes(parts.joined(separator: "\n"), limit: maxTextBytes)),
            "thread": .object(["threadKey": .string(IdempotencyKey.fit(n.episodeID, maxLength: maxThreadKey))]),
        ])
        let query = [ChannelHeader("messageReplyOption", replyOption), ChannelHeader("requestId", context.deliveryID)]
        return ChannelRequest(body: body.jsonData, query: query, idempotencyKey: context.deliveryID)
    }
}
