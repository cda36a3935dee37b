import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// A body written at send time from the stored notice (`WebhookBody`) must be the very
/// bytes the commit-time writer (`WebhookPayload.body`) produces for the same delivery:
/// receivers see no difference now that the outbox keeps no copy of the body.
struct WebhookBodyTests {
    /// A fixed link per person, so both writers get the same one.
    static func link(_ user: String) -> AckLink {
        AckLink(token: "t-\(user)", expiresAt: "2026-11-24T09:00:00.000Z", url: "https://h/ack/t-\(user)", apiURL: "https://h/v1/episodes/ack-link")
    }

    static let notifiedAt = Date(timeIntervalSince1970: 1_795_000_000.123)

    /// Both writers for one delivery; `ids` nil means every recipient.
    static func bodies(_ n: HeraldCore.Notification, target: String, audience: PlannedDelivery.Audience, ids: [String]?,
                       config: HeraldConfig) -> (commit: Data, send: Data?) {
        let people = ids.map { ids in ids.compactMap { id in n.recipients.first { $0.id == id } } } ?? n.recipients
        let planned = PlannedDelivery(target: target, audience: audience, recipients: people)
        let commit = WebhookPayload.body(n, delivery: planned, config: config, notifiedAt: notifiedAt) { link($0) }
        let send = WebhookBody.body(notice: NotificationJSON.data(n),
                                    delivery: .init(target: target, audience: audience, recipientIDs: ids, notifiedAt: notifiedAt),
                                    config: config) { request in
            #expect(request.episodeID == n.episodeID)
            #expect(request.transition == n.transition.rawValue)
            return link(request.user)
        }
        return (commit, send)
    }

    @Test func randomNoticesGiveTheCommitTimeBytes() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "ops", "url": "https://ops.example/hook", "secrets": [{"env": "S"}]}]}"#)
        var rng = SplitMix64(seed: 0x5EED_0B0D)
        for round in 0..<400 {
            var n = JSONBytesWriterTests.randomNotification(&rng)
            // Recipient ids are unique in a real notice (the resolver de-duplicates).
            n = HeraldCore.Notification(
                id: n.id, ruleID: n.ruleID, ruleName: n.ruleName, tier: n.tier, transition: n.transition, episode: n.episode,
                episodeID: n.episodeID, event: n.event,
                recipients: n.recipients.enumerated().map { NotifiedPerson(id: "\($0.offset)-\($0.element.id)", name: $0.element.name, path: $0.element.path) },
                excluded: n.excluded, occurredAt: n.occurredAt, reason: n.reason, actor: n.actor, escalationStep: n.escalationStep)
            let ids = n.recipients.map(\.id)
            // Every recipient, a subset in another order, one person, a group's channel.
            let cases: [(PlannedDelivery.Audience, [String]?)] = [
                (.batch, nil), (.batch, Array(ids.reversed().prefix(2))),
                (.user(ids.first ?? "nobody"), ids.first.map { [$0] } ?? []), (.group("g-\(round)"), nil),
            ]
            for (audience, subset) in cases {
                let (commit, send) = Self.bodies(n, target: "ops", audience: audience, ids: subset, config: config)
                #expect(send == commit, "round \(round) \(audience): \(String(decoding: send ?? Data(), as: UTF8.self)) != \(String(decoding: commit, as: UTF8.self))")
                if send != commit { return }
            }
        }
    }

    /// The seed example's notices, with the config's contact details.
    @Test func seedExampleNoticesGiveTheCommitTimeBytes() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/example.json")
        let config = try ConfigLoader.load(try Data(contentsOf: url))
        var state = EvaluationState()
        let evaluator = Evaluator(config: config)
        for (minute, value) in [(0.0, 12.0), (1, 25), (2, 31), (3, 4)] {
            let at = Date(timeIntervalSince1970: 1_795_000_000 + minute * 60)
            let event = MetricEvent(id: "e-\(minute)", metric: "utilisation_variance", value: value,
                                    subject: .init(id: "p-1", type: "participant", name: "Pat"), timestamp: at,
                                    relations: ["primary_coordinator": "u-chloe"], labels: [:])
            for n in evaluator.evaluate(event, state: &state, now: at).notifications {
                let (commit, send) = Self.bodies(n, target: "ops-webhook", audience: .batch, ids: nil, config: config)
                #expect(send == commit)
                #expect(String(decoding: commit, as: UTF8.self).contains("\"email\""))
            }
        }
    }

    /// The delivery engine reads a notice once for all its deliveries: one `Notice` used
    /// for a group's, a batch's and every person's delivery in turn must give each the
    /// bytes of its own fresh read (nothing of one delivery leaks into the next).
    @Test func oneReadNoticeServesEveryDeliveryOfIt() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "ops", "url": "https://ops.example/hook", "secrets": [{"env": "S"}]}]}"#)
        var rng = SplitMix64(seed: 0x0CE_0CE)
        for _ in 0..<100 {
            let n = JSONBytesWriterTests.randomNotification(&rng)
            let data = NotificationJSON.data(n)
            let notice = try #require(WebhookBody.Notice(data))
            let ids = n.recipients.map(\.id)
            let deliveries: [WebhookBody.Delivery] = [.init(target: "ops", audience: .group("g"), recipientIDs: nil, notifiedAt: Self.notifiedAt)]
                + ids.map { .init(target: "ops", audience: .user($0), recipientIDs: [$0, "not-in-the-notice"], notifiedAt: Self.notifiedAt) }
                + [.init(target: "ops", audience: .batch, recipientIDs: ids.reversed(), notifiedAt: Self.notifiedAt)]
            for delivery in deliveries {
                let reused = WebhookBody.body(notice: notice, delivery: delivery, config: config) { Self.link($0.user) }
                let fresh = WebhookBody.body(notice: data, delivery: delivery, config: config) { Self.link($0.user) }
                #expect(reused == fresh)
                if case .user(let id) = delivery.audience {
                    let document = try #require(try JSONSerialization.jsonObject(with: reused) as? [String: Any])
                    let people = try #require(document["recipients"] as? [[String: Any]])
                    #expect(people.map { $0["id"] as? String } == [id], "only the delivery's own person, unknown ids skipped")
                    #expect(document["group"] == nil)
                }
            }
        }
    }

    /// The notice's members are written once per notice and merged with each delivery's
    /// own: a stored document that already has members a delivery sets (`type`, `target`,
    /// `ack`, `group`, …) gets exactly the bytes of writing the merged document whole.
    @Test func aDeliverysMembersReplaceTheNoticesOwnAsWritingItWholeDid() throws {
        let notice = Data(("{\"ack\":{\"token\":\"old\"},\"episode\":{\"id\":\"e1\",\"number\":1},\"group\":\"old-group\","
            + "\"id\":\"n1\",\"notifiedAt\":\"then\",\"recipients\":[{\"id\":\"u1\",\"name\":\"A\"},{\"id\":\"u2\",\"name\":\"B\"}],"
            + "\"excluded\":[],\"target\":\"old\",\"transition\":\"firing\",\"type\":\"old\",\"zeta\":{\"b\":1,\"a\":[2,{\"d\":3,\"c\":4}]}}").utf8)
        guard case .object(var whole) = try JSONValue.parse(notice) else { Issue.record("not an object"); return }
        whole["excluded"] = nil
        let cases: [(PlannedDelivery.Audience, [String]?, AckLink?)] = [
            (.batch, nil, nil), (.user("u1"), ["u1"], Self.link("u1")), (.user("u2"), ["u2"], nil), (.group("g"), ["u2", "u1"], nil),
        ]
        for (audience, ids, link) in cases {
            let delivery = WebhookBody.Delivery(target: "ops", audience: audience, recipientIDs: ids, notifiedAt: Self.notifiedAt)
            let body = WebhookBody.body(notice: notice, delivery: delivery, config: nil) { _ in link }
            // What writing the whole document did before.
            var expected = whole
            expected["type"] = .string("herald.notification.firing")
            expected["notifiedAt"] = .string(NotificationJSON.timestamp(Self.notifiedAt))
            expected["target"] = .string("ops")
            if case .group(let id) = audience { expected["group"] = .string(id) }
            if case .user = audience, let link { expected["ack"] = link.jsonValue }
            guard case .array(let people)? = whole["recipients"] else { return }
            let selected = ids.map { ids in ids.compactMap { id in people.first { person in
                if case .object(let fields) = person, case .string(id)? = fields["id"] { true } else { false }
            } } } ?? people
            expected["recipients"] = .array(selected.map { person in
                guard case .object(var fields) = person else { return person }
                fields["ack"] = link?.jsonValue
                return .object(fields)
            })
            var writer = JSONBytesWriter()
            writer.value(.object(expected))
            #expect(body.map { String(decoding: $0, as: UTF8.self) } == String(decoding: writer.data, as: UTF8.self), "\(audience)")
        }
    }

    @Test func aDocumentThatIsNoNoticeGivesNoBody() {
        let delivery = WebhookBody.Delivery(target: "ops", audience: .batch, recipientIDs: nil, notifiedAt: Self.notifiedAt)
        #expect(WebhookBody.body(notice: Data("[]".utf8), delivery: delivery, config: nil) { _ in nil } == nil)
        #expect(WebhookBody.body(notice: Data("{\"transition\":\"firing\"}".utf8), delivery: delivery, config: nil) { _ in nil } == nil)
    }
}
