import Testing
import HeraldTestKit
@testable import HeraldCore

/// Configs that are valid but almost certainly wrong get a warning from `check`.
struct ConfigWarningsTests {
    func warnings(_ json: String) throws -> [String] {
        try TestConfig.load(json).warnings.map(\.description)
    }

    @Test func tierWhoseAudienceAllLacksTheRequiredRight() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}],
         "roles": [{"id": "staff", "additionalRights": ["x.view"]}], "defaultRole": "staff",
         "rules": [{"id": "r", "metric": "m", "requiredRights": ["x.view"],
                    "tiers": [{"name": "hi", "threshold": 1, "notify": [{"owner": true}]}]}]}
        """
        // x.view may be granted to staff, but nobody is: a warning, not an error.
        #expect(try warnings(json) == ["4:54: tier 'hi' of rule 'r' reaches nobody: every selected user is inactive or lacks 'x.view' at rules[0].tiers[0].notify"])
    }

    @Test func tierThatOnlyReachesInactiveUsers() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}, {"id": "gone", "active": false}],
         "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "hi", "threshold": 1, "notify": [{"user": "gone"}]}]}]}
        """
        #expect(try warnings(json) == ["2:80: tier 'hi' of rule 'r' reaches nobody: every selected user is inactive at rules[0].tiers[0].notify"])
    }

    @Test func targetedEmptyGroupAndRoleNobodyHolds() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}], "groups": [{"id": "g"}],
         "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "hi", "threshold": 1,
           "notify": [{"group": "g"}, {"role": "manager"}, {"relation": "coordinator"}]}]}]}
        """
        #expect(try warnings(json) == [
            "3:4: tier 'hi' of rule 'r' reaches nobody when an event carries no 'coordinator' relation, and no 'unrouted' fallback is set at rules[0].tiers[0].notify",
            "3:16: group 'g' has no members at rules[0].tiers[0].notify[0].group",
            "3:32: role selector 'manager' matches nobody at rules[0].tiers[0].notify[1].role",
        ])
    }

    /// A group only SCIM provides is valid to target; check says what happens until the
    /// identity provider pushes it (and not also the generic "reaches nobody").
    @Test func targetedScimGroupNotYetProvisioned() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}], "scim": {"groups": {"Night On-call": "night-oncall"}},
         "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "hi", "threshold": 1, "notify": [{"group": "night-oncall"}]}]}]}
        """
        #expect(try warnings(json) == [
            "2:92: group 'night-oncall' comes from SCIM group 'Night On-call' (scim.groups): until the identity provider pushes it with members, this tier's notices are unrouted (recorded with the reason, sent to the 'unrouted' fallback if one is set) at rules[0].tiers[0].notify[0].group",
        ])
    }

    /// #17 item 2: with an `unrouted` fallback the relation-only tier is caught, so no
    /// warning; a fallback that itself reaches nobody is one.
    @Test func fallbackSilencesTheRelationWarningAndIsCheckedItself() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}, {"id": "gone", "active": false}],
         "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "hi", "threshold": 1, "notify": [{"relation": "coordinator"}]}]}],
         "server": {"unrouted": {"notify": [{"user": "gone"}]}}}
        """
        #expect(try warnings(json) == ["3:26: the 'unrouted' fallback reaches nobody: its selectors match no active users at server.unrouted.notify"])
    }

    @Test func theExampleHasNoWarnings() throws {
        #expect(try Fixtures.exampleConfig().warnings.isEmpty)
    }
}

/// `check` warns when an escalation chain ends in nobody.
struct EscalationWarningsTests {
    func warnings(_ json: String) throws -> [ConfigIssue] {
        try TestConfig.load(json).warnings
    }

    @Test func chainWhoseLastStepReachesOnlyInactivePeople() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}, {"id": "gone", "active": false}],
         "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "hi", "threshold": 1, "notify": [{"owner": true}],
                    "escalation": {"steps": [{"after": "5m", "notify": [{"owner": true}]}, {"after": "5m", "notify": [{"user": "gone"}]}]}}]}]}
        """
        let issues = try warnings(json)
        #expect(issues.map(\.code) == ["empty_escalation"])
        #expect(issues.first?.path.description == "rules[0].tiers[0].escalation.steps[1]")
        #expect(issues.first?.message == "the escalation of tier 'hi' of rule 'r' ends in nobody: every selected user is inactive or lacks the rule's required rights")
    }

    @Test func chainEndingInATierNobodyWithTheRightsHolds() throws {
        let json = """
        {"users": [{"id": "o", "owner": true}, {"id": "a", "roles": ["admin"]}],
         "roles": [{"id": "admin", "recommendedRights": ["x.view"]}, {"id": "staff"}], "defaultRole": "staff",
         "groups": [{"id": "g"}],
         "rules": [{"id": "r", "metric": "m", "requiredRights": ["x.view"], "tiers": [
                    {"name": "lo", "threshold": 1, "notify": [{"user": "a"}], "escalation": {"steps": [{"after": "5m", "notify": [{"group": "g"}]}]}},
                    {"name": "hi", "threshold": 2, "notify": [{"user": "a"}], "escalation": {"steps": [{"after": "5m", "tier": "lo"}]}}]}]}
        """
        // lo's chain ends in an empty group; hi's ends in lo's audience, which is fine.
        let issues = try warnings(json)
        #expect(issues.map(\.path.description) == ["rules[0].tiers[0].escalation.steps[0]"])
        #expect(issues.first?.message == "the escalation of tier 'lo' of rule 'r' ends in nobody: its selectors match no users")
    }

    @Test func theEscalationExampleHasNoWarnings() throws {
        #expect(try ConfigLoader.load(try Fixtures.data("Config/examples/escalation.json")).warnings.isEmpty)
    }
}
