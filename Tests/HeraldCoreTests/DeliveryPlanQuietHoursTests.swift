import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// The planner holds people in quiet hours in deliveries of their own (with
/// `heldUntil`), sends everyone else now, and holds nobody for a critical tier.
@Suite struct DeliveryPlanQuietHoursTests {
    static let json = #"""
    {"users": [{"id": "owner", "owner": true},
               {"id": "alice", "quietHours": {"timeZone": "UTC", "windows": [{"start": "22:00", "end": "07:00"}]}},
               {"id": "bob"}],
     "groups": [{"id": "team", "members": ["alice", "bob"], "channel": {"target": "ops"}}],
     "targets": [{"id": "ops", "url": "https://ops.example/hook", "mode": "batch", "secrets": [{"env": "S"}]},
                 {"id": "chat", "url": "https://chat.example/hook", "secrets": [{"env": "S"}]}],
     "rules": [{"id": "r", "metric": "m", "tiers": [
                 {"name": "warn", "threshold": 10, "notify": [{"user": "alice"}, {"user": "bob"}]},
                 {"name": "critical", "threshold": 30, "critical": true, "notify": [{"user": "alice"}, {"user": "bob"}]}]},
               {"id": "g", "metric": "m", "tiers": [{"name": "warn", "threshold": 10, "notify": [{"group": "team"}]}]}]}
    """#

    static let night = QuietHoursTests.utc("2026-11-23T23:00:00Z")
    static let morning = QuietHoursTests.utc("2026-11-24T07:00:00Z")
    static let noon = QuietHoursTests.utc("2026-11-23T12:00:00Z")

    /// A planned delivery reduced to destination, recipient ids and hold.
    struct Planned: Equatable, CustomStringConvertible {
        let destination: String
        let recipients: [String]
        let heldUntil: Date?
        init(_ destination: String, _ recipients: [String], _ heldUntil: Date? = nil) {
            self.destination = destination
            self.recipients = recipients
            self.heldUntil = heldUntil
        }
        init(_ delivery: PlannedDelivery) {
            self.init(delivery.destination, delivery.recipients.map(\.id), delivery.heldUntil)
        }
        var description: String { "\(destination) \(recipients)\(heldUntil.map { " held until \($0)" } ?? "")" }
    }

    func notices(value: Double, at date: Date) throws -> (HeraldConfig, [HeraldNotification]) {
        let config = try TestConfig.load(Self.json)
        var state = EvaluationState()
        let event = TestEvent.make("m", value: value, at: date)
        return (config, Evaluator(config: config).evaluate(event, state: &state, now: date).notifications)
    }

    @Test func heldPersonTravelsAloneOnABatchTarget() throws {
        let (config, notices) = try notices(value: 12, at: Self.night)
        let planned = DeliveryPlanner.plan(notices[0], config: config, now: Self.night).map(Planned.init)
        #expect(planned == [
            Planned("ops", ["bob"]),
            Planned("ops@user:alice", ["alice"], Self.morning),
            Planned("chat@user:alice", ["alice"], Self.morning),
            Planned("chat@user:bob", ["bob"]),
        ])
        #expect(DeliveryPlanner.quietHolds(for: notices[0], config: config, at: Self.night) == [QuietHold(userID: "alice", until: Self.morning)])
        // A held delivery on a batch target still has an address: the target's.
        #expect(Destination(key: "ops@user:alice")?.address(in: config) == "https://ops.example/hook")
    }

    @Test func outsideQuietHoursNothingIsHeld() throws {
        let (config, notices) = try notices(value: 12, at: Self.noon)
        #expect(DeliveryPlanner.plan(notices[0], config: config, now: Self.noon).map(Planned.init) == [
            Planned("ops", ["alice", "bob"]), Planned("chat@user:alice", ["alice"]), Planned("chat@user:bob", ["bob"]),
        ])
    }

    /// The plan without a time (the daemon's current call) never holds.
    @Test func planWithoutATimeHoldsNobody() throws {
        let (config, notices) = try notices(value: 12, at: Self.night)
        #expect(DeliveryPlanner.plan(notices[0], config: config).map(Planned.init) == [
            Planned("ops", ["alice", "bob"]), Planned("chat@user:alice", ["alice"]), Planned("chat@user:bob", ["bob"]),
        ])
    }

    @Test func criticalTierBypassesQuietHours() throws {
        let (config, notices) = try notices(value: 31, at: Self.night)
        let critical = try #require(notices.first { $0.ruleID == "r" })
        #expect(critical.tier.name == "critical")
        #expect(DeliveryPlanner.quietHolds(for: critical, config: config, at: Self.night).isEmpty)
        #expect(DeliveryPlanner.plan(critical, config: config, now: Self.night).allSatisfy { $0.heldUntil == nil })
    }

    /// A group channel is a shared room: never held for one member's quiet hours.
    @Test func groupChannelIsNotHeld() throws {
        let (config, notices) = try notices(value: 12, at: Self.night)
        let group = try #require(notices.first { $0.ruleID == "g" })
        #expect(DeliveryPlanner.plan(group, config: config, now: Self.night).map(Planned.init) == [
            Planned("ops@group:team", ["alice", "bob"]),
            Planned("chat@user:alice", ["alice"], Self.morning),
            Planned("chat@user:bob", ["bob"]),
        ])
    }
}
