public import Foundation

/// Renders one delivery for its target's format: pure, so every format is tested by
/// its bytes (golden files) without a network.
public enum ChannelRenderer {
    /// The request for `notice`; `standardBody` is the stored standard webhook body,
    /// sent as it is for `standard` targets.
    public static func render(_ notice: ChannelNotice, standardBody: Data, _ context: ChannelContext) -> Result<ChannelRequest, ChannelRenderError> {
        switch context.format {
        case .standard: .success(ChannelRequest(body: standardBody, idempotencyKey: context.deliveryID))
        case .template: .success(TemplateFormat.render(notice, context))
        case .slack: .success(SlackFormat.render(notice, context))
        case .teams: .success(TeamsFormat.render(notice, context))
        case .discord: .success(DiscordFormat.render(notice, context))
        case .mattermost: .success(MattermostFormat.render(notice, context))
        case .googleChat: .success(GoogleChatFormat.render(notice, context))
        case .pagerduty: PagerDutyFormat.render(notice, context)
        case .ntfy: NtfyFormat.render(notice, context)
        }
    }
}
