import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// Acknowledging stops escalation the moment it is committed, through the API (as a
    /// user, or as an operator with an admin token) and through a webhook's ack link;
    /// only people told in the episode (or holding `alerts.ack`) may act.
    @Suite struct Acknowledgement {
        typealias K = EscalationKit

        @Test func acknowledgingThroughTheAPIStopsEscalationAndIsAudited() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "3s"))
            try K.post(herald, value: 35, subject: "p-ack")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-ack", transition: "firing"))
            let episode = K.episodeID(firing)
            #expect(episode.contains("/"), "episode ids carry '/', hence the id in the body")

            // Liam was not told and holds no acknowledge right.
            let refused = try K.act(herald, "ack", episode: episode, user: "u-liam")
            #expect(refused.status == 403)
            #expect(refused.json["error"] as? String == "not_allowed")
            #expect(try K.act(herald, "ack", episode: episode + "9", user: "u-adam").status == 404)
            #expect(try K.act(herald, "ack", episode: episode, user: nil).status == 422, "an ack token must name the user")
            #expect(try K.act(herald, "unack", episode: episode, user: "u-adam").json["error"] as? String == "not_acknowledged")

            let ack = try K.act(herald, "ack", episode: episode, user: "u-adam")
            #expect(ack.status == 200, "\(ack.text)")
            #expect(ack.json["acknowledgedBy"] as? String == "u-adam")
            #expect(ack.json["escalationDueAt"] is NSNull)
            #expect(ack.json["changed"] as? Bool == true)
            // Again by the same person: nothing changes; by someone else: a conflict.
            #expect(try K.act(herald, "ack", episode: episode, user: "u-adam").json["changed"] as? Bool == false)
            #expect(try K.act(herald, "ack", episode: episode, user: "u-olivia").status == 409)

            // The people told hear of it (notifyAcknowledged), naming who acted.
            let acknowledged = try #require(K.waitForWebhook(receiver, subject: "p-ack", transition: "acknowledged"))
            #expect(acknowledged["actor"] as? String == "u-adam")
            #expect(acknowledged["reason"] as? String == "manual")
            // Past the step's time: nothing escalates.
            Thread.sleep(forTimeInterval: 4)
            #expect(K.webhooks(receiver, subject: "p-ack", transition: "escalated").isEmpty)

            let actions = try K.audit(herald, subject: "p-ack").filter { $0["action"] != nil }
            #expect(actions.count == 1)
            #expect(actions.first?["action"] as? String == "acknowledge")
            #expect(actions.first?["actor"] as? String == "u-adam")

            // An operator (admin token, no user) resolves it by hand.
            let resolved = try K.act(herald, "resolve", episode: episode, user: nil, token: K.writerToken)
            #expect(resolved.status == 200, "\(resolved.text)")
            #expect(resolved.json["actor"] as? String == "operator:writer")
            #expect(K.waitForWebhook(receiver, subject: "p-ack", transition: "resolved") != nil)
            #expect(try K.act(herald, "ack", episode: episode, user: "u-adam").json["error"] as? String == "episode_ended")
            #expect(herald.stop() == 0)
        }

        @Test func unacknowledgingStartsTheChainAgain() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "2s"))
            try K.post(herald, value: 35, subject: "p-unack")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-unack", transition: "firing"))
            // Noah (a manager, told at 10%) takes it on.
            #expect(try K.act(herald, "ack", episode: K.episodeID(firing), user: "u-noah").status == 200)
            Thread.sleep(forTimeInterval: 2.5)
            #expect(K.webhooks(receiver, subject: "p-unack", transition: "escalated").isEmpty)
            let unack = try K.act(herald, "unack", episode: K.episodeID(firing), user: "u-noah")
            #expect(unack.status == 200, "\(unack.text)")
            #expect(unack.json["acknowledgedBy"] is NSNull)
            #expect(K.waitForWebhook(receiver, subject: "p-unack", transition: "escalated") != nil)
            #expect(herald.stop() == 0)
        }

        @Test func theAckLinkInTheWebhookStopsEscalationWithoutAnAPIToken() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "3s"))
            try K.post(herald, value: 35, subject: "p-link")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-link", transition: "firing"))
            let episode = K.episodeID(firing)
            // A batch message carries one link per recipient.
            let token = try #require(K.ackToken(firing, user: "u-adam"))
            #expect(K.ackToken(firing, user: "u-olivia") != token)
            let link = try #require((firing["recipients"] as? [[String: Any]])?.first?["ack"] as? [String: Any])
            // Absolute, from the listen address (no server.publicURL here), with the bound port.
            #expect(link["url"] as? String == "http://127.0.0.1:\(herald.port)/ack/\(link["token"] as? String ?? "?")")
            #expect(link["apiURL"] as? String == "http://127.0.0.1:\(herald.port)/v1/episodes/ack-link")
            let expires = try #require(K.date(link["expiresAt"]))
            #expect(expires > Date().addingTimeInterval(3600))

            // Forged: a changed signature, a changed claim, garbage.
            var forged = Array(token)
            forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
            let badSignature = try K.ackLink(herald, token: String(forged))
            #expect(badSignature.status == 403)
            #expect(badSignature.json["error"] as? String == "invalid_ack_token")
            let claims = token.split(separator: ".")[0]
            let otherClaims = Data("\(episode)|u-liam|9999999999".utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            #expect(try K.ackLink(herald, token: token.replacingOccurrences(of: claims, with: otherClaims)).status == 403)
            #expect(try K.ackLink(herald, token: "not-a-token").status == 403)
            // Expired: correctly signed, but its time has passed.
            let expired = try K.ackLink(herald, token: try K.signedToken(episode: episode, user: "u-adam",
                                                                          expiry: Int(Date().timeIntervalSince1970) - 60))
            #expect(expired.status == 410)
            #expect(expired.json["error"] as? String == "ack_token_expired")
            // Correctly signed for someone who was never told: the core still says no.
            let stranger = try K.ackLink(herald, token: try K.signedToken(episode: episode, user: "u-liam",
                                                                           expiry: Int(Date().timeIntervalSince1970) + 600))
            #expect(stranger.status == 403)
            #expect(stranger.json["error"] as? String == "not_allowed")

            let ack = try K.ackLink(herald, token: token)
            #expect(ack.status == 200, "\(ack.text)")
            #expect(ack.json["actor"] as? String == "u-adam")
            #expect(ack.json["episode"] as? String == episode)
            Thread.sleep(forTimeInterval: 4)
            #expect(K.webhooks(receiver, subject: "p-link", transition: "escalated").isEmpty)
            // The acknowledged notice offers no link: there is nothing left to take on.
            let acknowledged = try #require(K.waitForWebhook(receiver, subject: "p-link", transition: "acknowledged"))
            #expect(K.ackToken(acknowledged, user: "u-adam") == nil)
            #expect(herald.stop() == 0)
        }
    }
}
