import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore

/// Turns an outbox row into the request its target's format asks for: the stored
/// standard body as it is for `standard` targets, else the channel renderer's body,
/// content type, headers and query. Rendered at each attempt from the current config
/// (like the address), so no receiver credential is ever stored with the row, and the
/// `webhook-id` stays the row's delivery id for every format.
enum ChannelJobs {
    /// `body` is the row's standard body (`DeliveryBody`: written from the stored notice);
    /// `told`, from the same notice, lets the message say who else was told (the body
    /// names only this delivery's people).
    static func job(for row: OutboxRecord, body: Data, target id: String, settings: TargetSettings, url: URL,
                    runtime: RuntimeConfig, told: ChannelNotice.ToldSample? = nil) -> Result<DeliveryJob, ChannelRenderError> {
        var target = settings
        target.url = url
        guard let definition = runtime.config.targets.first(where: { $0.id == id }), definition.format != .standard else {
            return .success(DeliveryJob(deliveryID: row.deliveryID, target: target, body: body, attempts: row.attempts, createdAt: row.createdAt))
        }
        guard var notice = ChannelNotice(webhookBody: body) else {
            return .failure(ChannelRenderError(code: "channel_body_unreadable",
                                               message: "the stored notice cannot be read to render format '\(definition.format.rawValue)'"))
        }
        notice.alsoTold = told?.alsoTold(excluding: notice.recipients.map(\.id))
        let context = ChannelContext.make(notice, target: definition, config: runtime.config, deliveryID: row.deliveryID,
                                          routingKey: runtime.routingKeys[id])
        return ChannelRenderer.render(notice, standardBody: body, context).map { request in
            target.contentType = request.contentType
            target.headers = request.headers.map { ($0.name, $0.value) } + target.headers
            target.url = adding(request.query, to: url)
            return DeliveryJob(deliveryID: row.deliveryID, target: target, body: request.body, attempts: row.attempts, createdAt: row.createdAt)
        }
    }

    /// `url` with `query` appended to its own query (Google Chat's key and token stay).
    static func adding(_ query: [ChannelHeader], to url: URL) -> URL {
        guard !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.queryItems = (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.name, value: $0.value) }
        return components.url ?? url
    }
}
