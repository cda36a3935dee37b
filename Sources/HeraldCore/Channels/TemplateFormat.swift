/// The operator's own JSON body (`template` on the target) for in-house receivers:
/// every string in it may hold `{{placeholders}}`; values are filled in as JSON
/// strings, so the body is always valid JSON. Signed like `standard` when the target
/// has secrets.
enum TemplateFormat {
    static func render(_ n: ChannelNotice, _ context: ChannelContext) -> ChannelRequest {
        let document = context.options.template?.fill(n) ?? .object([:])
        return ChannelRequest(body: document.jsonData, idempotencyKey: context.deliveryID)
    }
}
