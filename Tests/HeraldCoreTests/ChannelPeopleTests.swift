import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Issue #15's message contents beyond the headline: who else was told (per-recipient
/// messages, bounded for large fan-outs), ack links in messages to several people (each
/// person's own), and user-controlled text escaped for Teams and Google Chat.
struct ChannelPeopleTests {
    typealias F = ChannelFixture
    static let olivia = [NotifiedPerson(id: "u-olivia", name: "Olivia Owens", path: "role:admin")]

    /// The whole notice: Olivia, Adam and 28 more; Olivia's own message names the others.
    static func bigNotice() -> HeraldCore.Notification {
        F.notification(recipients: olivia + [NotifiedPerson(id: "u-adam", name: "Adam Ahmed", path: "role:admin")] + F.crowd(28))
    }

    static func text(_ format: String, audience: PlannedDelivery.Audience = .user("u-olivia"),
                     recipients: [NotifiedPerson] = olivia, told: HeraldCore.Notification? = bigNotice()) throws -> String {
        let config = F.loadConfig(F.config.replacingOccurrences(of: #""id": "\#(format)", "format": "\#(format)", "mode": "batch""#,
                                                                 with: #""id": "\#(format)", "format": "\#(format)""#))
        let request = try F.render(F.notification(recipients: recipients), target: format, config: config, audience: audience, told: told).get()
        return String(decoding: request.body, as: UTF8.self)
    }

    // MARK: Who else was told

    @Test func theSampleListsTheFirstOthersAndCountsThemAll() throws {
        let sample = try #require(ChannelNotice.ToldSample(noticeDocument: NotificationJSON.data(Self.bigNotice())))
        #expect(sample.total == 30)
        #expect(sample.people.count == ChannelNotice.ToldSample.sampleSize)
        let others = try #require(sample.alsoTold(excluding: ["u-olivia"]))
        #expect(others.total == 29)
        #expect(others.people.count == ChannelNotice.AlsoTold.maxListed)
        #expect(others.people.first?.name == "Adam Ahmed")
        #expect(!others.people.contains { $0.id == "u-olivia" })
        // A message to everyone told has nobody else to name.
        #expect(sample.alsoTold(excluding: Self.bigNotice().recipients.map(\.id)) == nil)
    }

    /// A 10,000-person notice: the sample keeps 20 people, each message lists 10 and
    /// counts the rest, so a message's size does not grow with the fan-out.
    @Test func aLargeFanOutIsBoundedAndCounted() throws {
        let crowd = F.notification(recipients: F.crowd(10_000))
        let sample = try #require(ChannelNotice.ToldSample(noticeDocument: NotificationJSON.data(crowd)))
        let others = try #require(sample.alsoTold(excluding: ["u-5"]))
        #expect(others.total == 9_999 && others.people.count == 10)
        let message = ChannelMessage(title: "t", text: nil, facts: [], people: [], ackURL: nil,
                                     alsoTold: others.people.map { .init(name: $0.name, path: $0.path, mention: nil) },
                                     alsoToldTotal: others.total)
        let line = try #require(message.alsoToldLine(limit: 3000) { "\($0.name) (\($0.path))" })
        #expect(line.hasPrefix("Also told: Person Number 0 With A Long Name (group:everyone-in-the-organisation), "))
        #expect(line.hasSuffix(", … and 9989 more"))
        #expect(line.count <= 3000)
    }

    @Test(arguments: ["slack", "teams", "discord", "mattermost", "google-chat", "ntfy"])
    func aPerRecipientMessageSaysWhoElseWasTold(_ format: String) throws {
        let body = try Self.text(format)
        #expect(body.contains("Also told: Adam Ahmed (role:admin), Person Number 0 With A Long Name"), "\(body)")
        #expect(body.contains("… and 19 more"), "\(body)")
    }

    @Test func pagerDutyCarriesTheOthersInItsDetails() throws {
        let config = F.loadConfig(F.config.replacingOccurrences(of: #""id": "pagerduty", "format": "pagerduty", "mode": "batch""#,
                                                                 with: #""id": "pagerduty", "format": "pagerduty""#))
        let request = try F.render(F.notification(recipients: Self.olivia), target: "pagerduty", config: config,
                                   audience: .user("u-olivia"), told: Self.bigNotice()).get()
        let details = try #require((F.json(request.body)["payload"] as? [String: Any])?["custom_details"] as? [String: Any])
        #expect((details["also_told"] as? [String])?.first == "Adam Ahmed (role:admin)")
        #expect(details["also_told_total"] as? Int == 29)
        #expect(details["previous_tier"] as? String == "20%")
    }

    /// Without the notice's list (nothing else known) the message says nothing of others.
    @Test func withoutTheNoticeNoOthersLineIsInvented() throws {
        #expect(!(try Self.text("slack", told: nil)).contains("Also told"))
    }

    // MARK: Ack links in a message to several people

    @Test(arguments: [
        ("slack", "Acknowledge as: <https://herald.example.org/ack/tok-u-olivia|Olivia Owens>, <https://herald.example.org/ack/tok-u-adam|Adam Ahmed>"),
        ("mattermost", "Acknowledge as: [Olivia Owens](https://herald.example.org/ack/tok-u-olivia), [Adam Ahmed](https://herald.example.org/ack/tok-u-adam)"),
        ("discord", "Acknowledge as: [Olivia Owens](https://herald.example.org/ack/tok-u-olivia), [Adam Ahmed](https://herald.example.org/ack/tok-u-adam)"),
        ("teams", "Acknowledge as: [Olivia Owens](https://herald.example.org/ack/tok-u-olivia), [Adam Ahmed](https://herald.example.org/ack/tok-u-adam)"),
        ("google-chat", #"Acknowledge as: <a href=\"https://herald.example.org/ack/tok-u-olivia\">Olivia Owens</a>, <a href=\"https://herald.example.org/ack/tok-u-adam\">Adam Ahmed</a>"#),
    ])
    func aBatchMessageCarriesEachPersonsAckLink(_ format: String, _ expected: String) throws {
        let body = String(decoding: try F.render(F.notification(), target: format).get().body, as: UTF8.self)
        #expect(body.contains(expected), "\(body)")
    }

    @Test func ntfyAndPagerDutyOfferEachPersonsLinkAsActionsAndLinks() throws {
        let ntfy = F.json(try F.render(F.notification(), target: "ntfy").get().body)
        let actions = try #require(ntfy["actions"] as? [[String: Any]])
        #expect(actions.map { $0["label"] as? String } == ["Ack as Olivia Owens", "Ack as Adam Ahmed"])
        #expect(actions.map { $0["url"] as? String } == ["https://herald.example.org/ack/tok-u-olivia", "https://herald.example.org/ack/tok-u-adam"])
        #expect(ntfy["click"] == nil, "no single link opens for everyone")
        let pd = F.json(try F.render(F.notification(), target: "pagerduty").get().body)
        let links = try #require(pd["links"] as? [[String: String]])
        #expect(links == [["href": "https://herald.example.org/ack/tok-u-olivia", "text": "Acknowledge in Herald as Olivia Owens"],
                          ["href": "https://herald.example.org/ack/tok-u-adam", "text": "Acknowledge in Herald as Adam Ahmed"]])
    }

    /// A group of 2,000: at most ten links, the rest counted, within the section limit.
    @Test func aCrowdGetsTenLinksAndACount() throws {
        let body = F.json(try F.render(F.notification(recipients: F.crowd(2000)), target: "slack").get().body)
        let texts = (body["blocks"] as? [[String: Any]] ?? []).compactMap { ($0["text"] as? [String: Any])?["text"] as? String }
        let line = try #require(texts.first { $0.hasPrefix("Acknowledge as: ") })
        #expect(line.components(separatedBy: "|Person Number").count - 1 == 10)
        #expect(line.hasSuffix("… and 1990 more"))
        #expect(line.count <= SlackFormat.maxSectionText)
    }

    /// No links at all (a resolved notice, a target without secrets): no ack line.
    @Test(arguments: ["slack", "teams", "discord", "mattermost", "google-chat", "ntfy", "pagerduty"])
    func noLinksNoAckLine(_ format: String) throws {
        let config = F.loadConfig()
        let n = F.notification()
        let stored = WebhookPayload.body(n, delivery: PlannedDelivery(target: format, audience: .batch, recipients: n.recipients),
                                         config: config, notifiedAt: F.at)
        let notice = try #require(ChannelNotice(webhookBody: stored))
        let context = ChannelContext.make(notice, target: config.targets.first { $0.id == format }!, config: config,
                                          deliveryID: "msg_1", routingKey: "R0KEY")
        let body = String(decoding: try ChannelRenderer.render(notice, standardBody: stored, context).get().body, as: UTF8.self)
        #expect(!body.contains("Acknowledge") && !body.contains("/ack/"), "\(body)")
    }

    // MARK: Escaping user-controlled text

    /// Teams (Adaptive Card Markdown): emphasis, links and `<at>` cannot form from a value.
    @Test func teamsEscapesMarkdownAndAngleBrackets() throws {
        let body = F.json(try F.render(F.notification(subjectName: "**Pat** <at>all</at> [x](http://evil) & co\n- item"), target: "teams").get().body)
        let card = try #require(((body["attachments"] as? [[String: Any]])?.first?["content"]) as? [String: Any])
        let blocks = try #require(card["body"] as? [[String: Any]])
        let title = try #require(blocks.first?["text"] as? String)
        #expect(title.contains(#"\*\*Pat\*\* &lt;at&gt;all&lt;/at&gt; \[x\](http://evil) &amp; co - item"#), "\(title)")
        let facts = try #require(blocks.first { $0["type"] as? String == "FactSet" }?["facts"] as? [[String: String]])
        #expect(facts.first { $0["title"] == "Subject" }?["value"]?.contains("&lt;at&gt;") == true)
    }

    /// Google Chat: the card's HTML shows a `<users/all>` mention and markup as text;
    /// the plain `fallbackText` is the headline as written.
    @Test func googleChatEscapesHTMLInItsCard() throws {
        let body = F.json(try F.render(F.notification(subjectName: #"<users/all> <b>"x"</b> & *y*"#), target: "google-chat").get().body)
        let card = try #require((body["cardsV2"] as? [[String: Any]])?.first?["card"] as? [String: Any])
        let widgets = try #require((card["sections"] as? [[String: Any]])?.first?["widgets"] as? [[String: Any]])
        let html = widgets.compactMap { ($0["textParagraph"] as? [String: Any])?["text"] as? String }.joined(separator: "\n")
        #expect(html.contains("&lt;users/all&gt; &lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; *y*"), "\(html)")
        #expect(!html.contains("<users/all>"))
        #expect((body["fallbackText"] as? String)?.contains(#"<users/all> <b>"x"</b>"#) == true)
        #expect(body["text"] == nil, "chat markup has no escape: the message is a card")
    }

    /// A rule's own text: the author's markup stays, the filled-in values are escaped.
    @Test func teamsTemplateTextEscapesValuesOnly() throws {
        let config = F.loadConfig(F.config.replacingOccurrences(of: #""metric": "utilisation_variance","#, with:
            #""metric": "utilisation_variance", "message": {"text": "**{{subject.name}}** from {{tier.previous}}"},"#))
        let body = String(decoding: try F.render(F.notification(subjectName: "a_b"), target: "teams", config: config).get().body, as: UTF8.self)
        #expect(body.contains(#""**a\\_b** from 20%""#), "\(body)")
    }
}
