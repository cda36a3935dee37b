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
         "rules": [{"id": "r", "metric": "m", "requiredRights": ["x.view"],
                    "tiers": [{"name": "hi", "threshold": 1, "notify": [{"owner": true}]}]}]}
        """
        #expect(try warnings(json) == ["3:54: tier 'hi' of rule 'r' reaches nobody: every selected user is inactive or lacks 'x.view' at rules[0].tiers[0].notify"])
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
            "3:16: group 'g' has no members at rules[0].tiers[0].notify[0].group",
            "3:32: role selector 'manager' matches nobody at rules[0].tiers[0].notify[1].role",
        ])
    }

    @Test func theExampleHasNoWarnings() throws {
        #expect(try Fixtures.exampleConfig().warnings.isEmpty)
    }
}
