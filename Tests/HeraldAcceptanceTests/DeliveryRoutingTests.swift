import Foundation
import Testing
import HeraldTestKit

extension DeliveryTests {
    /// Which webhooks a notification becomes: per recipient, one batch, one per group
    /// channel, and only on the targets a rule allows.
    @Suite struct Routing {
        /// Users `u-a` (own address on `chat`: the receiver's /status/201) and `u-b` (none),
        /// and group `desk` (`u-c`, `u-d`) whose channel on `chat` is /status/202.
        static func users(receiver: PythonReceiver) -> String {
            """
            {"id": "owner", "name": "Owner", "owner": true},
            {"id": "u-a", "name": "Ann Archer", "contact": {"addresses": {"chat": "\(receiver.url("/status/201").absoluteString)"}}},
            {"id": "u-b", "name": "Ben Baker"},
            {"id": "u-c", "name": "Cat Cole", "groups": ["desk"]},
            {"id": "u-d", "name": "Dan Dee", "groups": ["desk"]}
            """
        }

        static func desk(channelTarget: String?, receiver: PythonReceiver) -> String {
            guard let channelTarget else { return #"{"id": "desk", "name": "Desk"}"# }
            return #"{"id": "desk", "name": "Desk", "channel": {"target": "\#(channelTarget)", "address": "\#(receiver.url("/status/202").absoluteString)"}}"#
        }

        @Test func perRecipientSendsOnePerPersonToTheirOwnAddressElseTheTargetURL() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                users: Self.users(receiver: receiver), groups: Self.desk(channelTarget: nil, receiver: receiver),
                targets: [DeliveryKit.target("chat", url: receiver.url("/ok"), mode: "per-recipient")],
                rules: [DeliveryKit.rule(notify: #"[{"user": "u-a"}, {"user": "u-b"}, {"group": "desk"}]"#)]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            let received = DeliveryKit.waitForRequests(receiver, count: 4)
            Thread.sleep(forTimeInterval: 0.5) // nothing more may arrive
            let all = receiver.requests()
            #expect(all.count == 4)
            let byRecipient = Dictionary(grouping: all) { DeliveryKit.recipientIDs($0) }
            #expect(Set(byRecipient.keys) == [["u-a"], ["u-b"], ["u-c"], ["u-d"]])
            #expect(byRecipient[["u-a"]]?.map(\.path) == ["/status/201"], "u-a's own address is used")
            #expect(byRecipient[["u-b"]]?.map(\.path) == ["/ok"])
            #expect(byRecipient[["u-c"]]?.map(\.path) == ["/ok"], "a group without a channel is told member by member")
            #expect(Set(received.compactMap { $0.headers["webhook-id"] }).count == 4, "each message has its own webhook-id")
            #expect(Set(received.map(DeliveryKit.notificationID)).count == 1, "all belong to one notification")
            #expect(all.allSatisfy { $0.verified_with == [0] })
            #expect(herald.stop() == 0)
        }

        @Test func batchSendsOneListingEveryone() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                users: Self.users(receiver: receiver), groups: Self.desk(channelTarget: nil, receiver: receiver),
                targets: [DeliveryKit.target("chat", url: receiver.url("/ok"), mode: "batch")],
                rules: [DeliveryKit.rule(notify: #"[{"user": "u-a"}, {"user": "u-b"}, {"group": "desk"}]"#)]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            DeliveryKit.waitForRequests(receiver, count: 1)
            Thread.sleep(forTimeInterval: 0.5)
            let all = receiver.requests()
            try #require(all.count == 1)
            #expect(all[0].path == "/ok")
            #expect(Set(DeliveryKit.recipientIDs(all[0])) == ["u-a", "u-b", "u-c", "u-d"])
            #expect(herald.stop() == 0)
        }

        @Test func groupChannelGetsOneMessageInsteadOfOnePerMember() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                users: Self.users(receiver: receiver), groups: Self.desk(channelTarget: "chat", receiver: receiver),
                targets: [DeliveryKit.target("chat", url: receiver.url("/ok"), mode: "per-recipient"),
                          DeliveryKit.target("sms", url: receiver.url("/status/200"), mode: "batch")],
                rules: [DeliveryKit.rule(notify: #"[{"user": "u-a"}, {"group": "desk"}]"#)]))
            try DeliveryKit.fire(herald, subjects: ["p-1"])
            // chat: u-a alone and the desk channel; sms (no channel there): one batch of all three.
            DeliveryKit.waitForRequests(receiver, count: 3)
            Thread.sleep(forTimeInterval: 0.5)
            let all = receiver.requests()
            #expect(all.count == 3)
            let byPath = Dictionary(grouping: all, by: \.path)
            let channel = try #require(byPath["/status/202"]?.first, "no message at the group's channel address")
            #expect(byPath["/status/202"]?.count == 1)
            #expect(Set(DeliveryKit.recipientIDs(channel)) == ["u-c", "u-d"])
            #expect(channel.json["group"] as? String == "desk")
            #expect(channel.json["target"] as? String == "chat")
            #expect(byPath["/status/201"].map { $0.map(DeliveryKit.recipientIDs) } == [["u-a"]])
            #expect(byPath["/ok"] == nil, "no member of the desk is told one by one on chat")
            let batch = try #require(byPath["/status/200"]?.first)
            #expect(byPath["/status/200"]?.count == 1)
            #expect(Set(DeliveryKit.recipientIDs(batch)) == ["u-a", "u-c", "u-d"])
            #expect(batch.json["target"] as? String == "sms")
            #expect(herald.stop() == 0)
        }

        @Test func ruleTargetsRestrictWhichTargetsAreUsed() throws {
            let receiver = try PythonReceiver(secrets: [DeliveryKit.secret])
            let herald = try DeliveryKit.start(DeliveryKit.config(
                targets: [DeliveryKit.target("chat", url: receiver.url("/status/200")),
                          DeliveryKit.target("sms", url: receiver.url("/status/201"))],
                rules: [DeliveryKit.rule("load-high", metric: "load"),
                        DeliveryKit.rule("queue-sms-only", metric: "queue", targets: ["sms"])]))
            try DeliveryKit.fire(herald, subjects: ["p-1"], metric: "queue")
            try DeliveryKit.fire(herald, subjects: ["p-2"], metric: "load")
            DeliveryKit.waitForRequests(receiver, count: 3)
            Thread.sleep(forTimeInterval: 0.5)
            let all = receiver.requests()
            #expect(all.count == 3)
            let rulesByPath = Dictionary(grouping: all, by: \.path).mapValues { requests in
                requests.compactMap { ($0.json["rule"] as? [String: Any])?["id"] as? String }.sorted()
            }
            #expect(rulesByPath["/status/200"] == ["load-high"], "the restricted rule must not use chat")
            #expect(rulesByPath["/status/201"] == ["load-high", "queue-sms-only"])
            #expect(herald.stop() == 0)
        }
    }
}
