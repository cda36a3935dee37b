import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// The documented request shape of each receiver, field by field, and what each format
/// does at its receiver's limits (RECEIVERS.md).
struct ChannelShapeTests {
    typealias F = ChannelFixture

    @Test func slackAlwaysHasTextAndSectionsWithinLimits() throws {
        let body = F.json(try F.render(F.notification(), target: "slack").get().body)
        #expect((body["text"] as? String)?.isEmpty == false)
        let blocks = try #require(body["blocks"] as? [[String: Any]])
        #expect(blocks.count <= SlackFormat.maxBlocks)
        for block in blocks {
            #expect(block["type"] as? String == "section")
            let text = try #require((block["text"] as? [String: Any])?["text"] as? String)
            #expect(text.count <= SlackFormat.maxSectionText)
        }
        #expect(body["username"] as? String == "Herald")
        // Olivia has a Slack member id: she is mentioned; Adam has none.
        #expect(blocks.contains { ($0["text"] as? [String: Any])?["text"] as? String == "Told: <@U0OLIVIA> Olivia Owens (role:admin), Adam Ahmed (role:admin)" })
    }

    @Test func slackEscapesControlCharactersOfMrkdwn() throws {
        let body = F.json(try F.render(F.notification(subjectName: "<!channel> & co"), target: "slack").get().body)
        let text = try #require(body["text"] as? String)
        #expect(text.contains("&lt;!channel&gt; &amp; co"))
        #expect(!text.contains("<!channel>"))
    }

    @Test func teamsIsAnAdaptiveCardMessage() throws {
        let body = F.json(try F.render(F.notification(), target: "teams").get().body)
        #expect(body["type"] as? String == "message")
        let attachment = try #require((body["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(attachment["contentUrl"] is NSNull)
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard")
        #expect(card["version"] as? String == "1.4")
        #expect(card["$schema"] as? String == "http://adaptivecards.io/schemas/adaptive-card.json")
        #expect((card["body"] as? [[String: Any]])?.first?["type"] as? String == "TextBlock")
    }

    @Test func discordHasContentAndOneEmbedWithOnlyNamedMentions() throws {
        let body = F.json(try F.render(F.notification(), target: "discord").get().body)
        let content = try #require(body["content"] as? String)
        #expect(content.contains("<@1001>"))
        let embeds = try #require(body["embeds"] as? [[String: Any]])
        #expect(embeds.count == 1)
        #expect((embeds[0]["title"] as? String)?.count ?? 0 <= DiscordFormat.maxEmbedTitle)
        let allowed = try #require(body["allowed_mentions"] as? [String: Any])
        #expect((allowed["parse"] as? [Any])?.isEmpty == true)
        #expect(allowed["users"] as? [String] == ["1001"])
    }

    @Test func googleChatRetriesCarryTheSameRequestIdAndThreadPerEpisode() throws {
        let request = try F.render(F.notification(), target: "google-chat").get()
        #expect(request.query == [ChannelHeader("messageReplyOption", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"),
                                  ChannelHeader("requestId", "msg_0123456789abcdef")])
        #expect(request.idempotencyKey == "msg_0123456789abcdef")
        let body = F.json(request.body)
        #expect((body["thread"] as? [String: Any])?["threadKey"] as? String == "utilisation-variance/p-1001/1@1800000000000")
        #expect((body["fallbackText"] as? String)?.hasPrefix("[30%] Utilisation variance") == true)
        // A card message (cardsV2 with one card of textParagraph widgets), not chat markup.
        let card = try #require((body["cardsV2"] as? [[String: Any]])?.first)
        #expect(card["cardId"] as? String == "herald-notice")
        let widgets = try #require(((card["card"] as? [String: Any])?["sections"] as? [[String: Any]])?.first?["widgets"] as? [[String: Any]])
        #expect((widgets.first?["textParagraph"] as? [String: Any])?["text"] as? String
            == "<b>[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — escalated from 20%</b>")
    }

    @Test func pagerDutyTriggersWithTheEpisodeAsDedupKey() throws {
        let request = try F.render(F.notification(), target: "pagerduty").get()
        let body = F.json(request.body)
        #expect(body["routing_key"] as? String == "R0TARGETKEY00000000000000000000X")
        #expect(body["event_action"] as? String == "trigger")
        #expect(body["dedup_key"] as? String == "utilisation-variance/p-1001/1@1800000000000")
        #expect(request.idempotencyKey == "utilisation-variance/p-1001/1@1800000000000")
        let payload = try #require(body["payload"] as? [String: Any])
        #expect(payload["summary"] as? String == "[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — escalated from 20%")
        #expect(payload["source"] as? String == "herald")
        #expect(payload["severity"] as? String == "warning")
        #expect(payload["component"] as? String == "p-1001")
        #expect(payload["group"] as? String == "utilisation-variance")
        #expect(payload["class"] as? String == "utilisation_variance")
        #expect(payload["custom_details"] is [String: Any])
    }

    /// Transition → event_action, and what each action carries.
    @Test(arguments: [(Transition.firing, "trigger"), (.escalated, "trigger"), (.repeated, "trigger"), (.deescalated, "trigger"),
                      (.acknowledged, "acknowledge"), (.resolved, "resolve")])
    func pagerDutyActionFollowsTheTransition(_ transition: Transition, _ action: String) throws {
        let body = F.json(try F.render(F.notification(transition), target: "pagerduty").get().body)
        #expect(body["event_action"] as? String == action)
        #expect(body["dedup_key"] as? String == "utilisation-variance/p-1001/1@1800000000000")
        // Acknowledge and resolve name the alert only; a payload is for triggers.
        #expect((body["payload"] != nil) == (action == "trigger"))
    }

    /// Severity: a critical tier is critical; else the target's map; else warning.
    @Test(arguments: [(0, "error"), (1, "warning"), (2, "critical")])
    func pagerDutySeverityFollowsTheTier(_ tier: Int, _ severity: String) throws {
        let body = F.json(try F.render(F.notification(tier: tier), target: "pagerduty").get().body)
        #expect((body["payload"] as? [String: Any])?["severity"] as? String == severity)
    }

    @Test func pagerDutyPerRecipientUsesThePersonsRoutingKey() throws {
        let config = F.loadConfig(F.config.replacingOccurrences(of: #""id": "pagerduty", "format": "pagerduty", "mode": "batch""#,
                                                                 with: #""id": "pagerduty", "format": "pagerduty""#))
        let olivia = [NotifiedPerson(id: "u-olivia", name: "Olivia Owens", path: "role:admin")]
        let body = F.json(try F.render(F.notification(recipients: olivia), target: "pagerduty", config: config, audience: .user("u-olivia")).get().body)
        #expect(body["routing_key"] as? String == "R0OLIVIA0000000000000000000000AB")
    }

    @Test func pagerDutyWithoutAnyRoutingKeyIsRefused() {
        let config = F.loadConfig()
        let target = config.targets.first { $0.id == "pagerduty" }!
        let stored = F.body(F.notification(), target: "pagerduty", config: config)
        let notice = ChannelNotice(webhookBody: stored)!
        let context = ChannelContext.make(notice, target: target, config: config, deliveryID: "msg_1", routingKey: nil)
        #expect(throws: ChannelRenderError.self) { try ChannelRenderer.render(notice, standardBody: stored, context).get() }
    }

    @Test func ntfyPublishesJSONWithAViewActionToTheAckPage() throws {
        let olivia = [NotifiedPerson(id: "u-olivia", name: "Olivia Owens", path: "relation:primary_coordinator")]
        let body = F.json(try F.render(F.notification(recipients: olivia), target: "ntfy", audience: .user("u-olivia")).get().body)
        #expect(body["topic"] as? String == "olivia-alerts")
        #expect(body["priority"] as? Int == 4)
        #expect(body["title"] as? String == "[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — escalated from 20%")
        let actions = try #require(body["actions"] as? [[String: Any]])
        #expect(actions.count == 1)
        #expect(actions[0]["action"] as? String == "view")
        #expect(actions[0]["url"] as? String == "https://herald.example.org/ack/tok-u-olivia")
    }

    @Test func ntfyCriticalTierIsPriorityFive() throws {
        let body = F.json(try F.render(F.notification(tier: 2), target: "ntfy").get().body)
        #expect(body["priority"] as? Int == 5)
        #expect(body["topic"] as? String == "herald-alerts")
    }

    @Test func templateFillsStringsAsJSONStrings() throws {
        let body = F.json(try F.render(F.notification(subjectName: #"Pat "Quote" Example"#), target: "template").get().body)
        #expect(body["summary"] as? String == #"[30%] Utilisation variance for Pat "Quote" Example (participant p-1001): 31 (threshold 30) — escalated from 20%"#)
        #expect(body["who"] as? String == "Olivia Owens, Adam Ahmed")
        #expect(body["value"] as? String == "31")
        #expect(body["fixed"] as? Int == 1)
    }

    @Test func aRuleMessageTemplateReplacesTitleAndText() throws {
        let config = F.loadConfig(F.config.replacingOccurrences(of: #""metric": "utilisation_variance","#, with:
            #""metric": "utilisation_variance", "message": {"title": "{{subject.name}} at {{event.value}}", "text": "Site {{event.labels.site}}: *{{subject.name}}*"},"#))
        let body = F.json(try F.render(F.notification(subjectName: "Pat_Ex*ample"), target: "mattermost", config: config).get().body)
        let text = try #require(body["text"] as? String)
        #expect(text.hasPrefix("**Pat\\_Ex\\*ample at 31**\n\nSite north: *Pat\\_Ex\\*ample*"))
    }
}

/// Each receiver's limit, reached by a notice to 2,000 people: the request fits and
/// says how many were left out.
struct ChannelLimitTests {
    typealias F = ChannelFixture

    static func crowdRequest(_ target: String) throws -> ChannelRequest {
        try F.render(F.notification(recipients: F.crowd(2000)), target: target).get()
    }

    @Test func slackSectionsStayUnder3000Characters() throws {
        let body = F.json(try Self.crowdRequest("slack").body)
        let texts = (body["blocks"] as? [[String: Any]] ?? []).compactMap { ($0["text"] as? [String: Any])?["text"] as? String }
        #expect(texts.allSatisfy { $0.count <= 3000 })
        #expect(texts.contains { $0.contains("… and ") && $0.hasSuffix(" more") })
    }

    @Test func mattermostTextStaysUnderItsLimit() throws {
        let text = F.json(try Self.crowdRequest("mattermost").body)["text"] as? String ?? ""
        #expect(text.count <= MattermostFormat.maxText)
        #expect(text.contains("… and "))
        #expect(text.hasSuffix("[Acknowledge](https://herald.example.org/ack/tok-u-0)") == false)
    }

    @Test func discordContentAndEmbedStayUnderTheirLimits() throws {
        let body = F.json(try Self.crowdRequest("discord").body)
        #expect((body["content"] as? String)?.count ?? 0 <= DiscordFormat.maxContent)
        let embed = (body["embeds"] as? [[String: Any]])?.first ?? [:]
        let description = embed["description"] as? String ?? ""
        #expect(description.count <= DiscordFormat.maxEmbedDescription)
        #expect(description.contains("… and "))
        #expect(description.count + (embed["title"] as? String ?? "").count <= DiscordFormat.maxEmbedsTotal)
    }

    @Test func teamsBodyStaysUnder28KB() throws {
        let request = try Self.crowdRequest("teams")
        #expect(request.body.count <= TeamsFormat.maxBodyBytes)
        #expect(String(decoding: request.body, as: UTF8.self).contains("… and "))
    }

    @Test func googleChatMessageStaysUnder32000Bytes() throws {
        let request = try Self.crowdRequest("google-chat")
        #expect(request.body.count <= GoogleChatFormat.maxMessageBytes)
        #expect(String(decoding: request.body, as: UTF8.self).contains("… and "))
    }

    @Test func ntfyMessageStaysUnder4096Bytes() throws {
        let body = F.json(try Self.crowdRequest("ntfy").body)
        let message = body["message"] as? String ?? ""
        #expect(message.utf8.count <= NtfyFormat.maxMessageBytes)
        #expect(message.contains("… and "))
    }

    @Test func pagerDutyListsAHundredAndCountsTheRest() throws {
        let body = F.json(try Self.crowdRequest("pagerduty").body)
        let details = ((body["payload"] as? [String: Any])?["custom_details"] as? [String: Any]) ?? [:]
        #expect((details["recipients"] as? [Any])?.count == 100)
        #expect(details["recipients_omitted"] as? Int == 1900)
    }

    @Test func aLongEpisodeIdIsFittedInto255CharactersWithoutCollisions() {
        let a = IdempotencyKey.fit(String(repeating: "r", count: 300) + "/a", maxLength: 255)
        let b = IdempotencyKey.fit(String(repeating: "r", count: 300) + "/b", maxLength: 255)
        #expect(a.count == 255 && b.count == 255)
        #expect(a != b)
        #expect(IdempotencyKey.fit("short", maxLength: 255) == "short")
    }

    /// The list cut keeps whole names and names the rest.
    @Test(arguments: [
        (["a", "b", "c"], 100, "a, b, c"),
        (["alpha", "beta", "gamma", "delta"], 30, "alpha, beta, … and 2 more"),
        (["a-very-long-name"], 10, "… and 1 m…"),
    ])
    func truncationKeepsWholeItems(_ items: [String], _ limit: Int, _ expected: String) {
        let cut = Truncation.list(items, separator: ", ", limit: limit)
        #expect(cut == expected)
        #expect(cut.count <= limit)
    }
}
