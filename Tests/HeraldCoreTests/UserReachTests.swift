import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Which rules can reach a person, on Config/examples/escalation.json: the tiers and
/// escalation steps whose audience names them, with the resolver's path or reason.
struct UserReachTests {
    let config: HeraldConfig
    init() throws { config = try ConfigLoader.load(try Fixtures.data("Config/examples/escalation.json")) }

    func reach(_ id: String) throws -> UserReach {
        UserReach(user: try #require(config.directory.user(id)), config: config)
    }

    func lines(_ reach: UserReach) -> [String] {
        reach.entries.map { "\($0.stage) | \($0.path ?? "excluded: \($0.excluded ?? "?")")\($0.needsRelation ? " | relation" : "")" }
    }

    /// An admin: the 30% tier through the admin group. The 10% tier's group `manager`
    /// holds the manager role's holders only, so the 10% tier reaches Adam only as a
    /// subject's primary coordinator; the owner step names only the owner.
    @Test func anAdminIsReachedThroughTheirRoleGroup() throws {
        let adam = try reach("u-adam")
        #expect(lines(adam) == [
            "tier 10% | relation:primary_coordinator | relation",
            "tier 30% | group:admin",
        ])
        #expect(adam.entries.allSatisfy { $0.ruleID == "utilisation-variance" && $0.ruleName == "Utilisation variance" })
        // Admins inherit manager's additional right alerts.ack only if granted; Adam is not.
        #expect(adam.mayActOn == [])
    }

    /// The owner is also the escalation step's audience; a relation path says it needs
    /// the event to name the person.
    @Test func theOwnerIsReachedByTheEscalationStep() throws {
        #expect(lines(try reach("u-olivia")).contains("tier 30%, escalation step 1 (after 15m) | owner"))
        let chloe = lines(try reach("u-chloe"))
        #expect(chloe.first == "tier 10% | relation:primary_coordinator | relation", "\(chloe)")
    }

    /// Someone a selector names but the resolver leaves out says why, with the path.
    @Test func anInactiveManagerIsLeftOutWithTheReason() throws {
        let former = try reach("u-former")
        #expect(lines(former).first == "tier 10% | excluded: group:manager: inactive", "\(lines(former))")
        #expect(former.entries.allSatisfy { $0.path == nil })
        #expect(former.mayActOn == [])
    }

    /// A nested custom group gives its whole route.
    @Test func aCustomGroupMemberIsReachedThroughTheGroup() throws {
        #expect(lines(try reach("u-maya")).contains("tier 20% | group:sc-managers"))
    }

    /// A person no role or group selector names is reached only as a relation; one
    /// lacking the rule's required right is left out even then, with the reason.
    @Test func aPersonOnlyARelationNamesIsReachedThroughIt() throws {
        #expect(lines(try reach("u-sam")).first == "tier 10% | relation:primary_coordinator | relation")
        #expect(lines(try reach("u-liam")) == ["tier 10% | excluded: relation:primary_coordinator: lacks right 'participants.view' | relation"])
    }

    /// A group member wins over the relation: the path that holds for every subject.
    @Test func aRolePathIsShownRatherThanTheRelation() throws {
        #expect(lines(try reach("u-noah")).first == "tier 10% | group:manager")
        #expect(try reach("u-noah").mayActOn == ["utilisation-variance"])
    }
}
