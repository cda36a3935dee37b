import Testing
import HeraldTestKit
@testable import HeraldCore

/// Roles, role-derived groups, nested groups, rights arithmetic and copying.
struct DirectoryTests {
    /// Seed 000's role templates: nothing in Herald is tied to seed 003's three roles.
    static let seed000 = """
    {
      "roles": [
        {"id": "owner", "inherits": ["manager"], "recommendedRights": ["settings.*"]},
        {"id": "manager", "inherits": ["administrator", "accountant"], "recommendedRights": ["reports.view"], "additionalRights": ["finance.payroll"]},
        {"id": "administrator", "inherits": ["employee"], "recommendedRights": ["bookings.view", "bookings.pay"]},
        {"id": "accountant", "inherits": ["employee"], "recommendedRights": ["finance.payroll"]},
        {"id": "employee", "recommendedRights": ["schedule.own", "clients.contacts"], "additionalRights": ["schedule.others"]}
      ],
      "defaultRole": "employee",
      "users": [
        {"id": "boss", "owner": true, "roles": ["owner"]},
        {"id": "mia", "roles": ["manager"], "rights": {"revoke": ["finance.payroll"]}},
        {"id": "ada", "roles": ["administrator"], "rights": {"grant": ["schedule.others"], "revoke": ["clients.contacts"]}},
        {"id": "acc", "roles": ["accountant", "administrator"]},
        {"id": "eve"},
        {"id": "new", "copyRightsFrom": "ada"},
        {"id": "newer", "copyRightsFrom": "new"}
      ],
      "rules": [{"id": "r", "metric": "m", "requiredRights": ["settings.billing"], "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]
    }
    """

    @Test func rightsAreRecommendedPlusInheritedPlusGrantedMinusRevoked() throws {
        let d = try TestConfig.load(Self.seed000).directory
        func rights(_ id: String) -> [String] { d.rightNames(of: d.user(id)!) }
        // Manager inherits administrator, accountant and employee; payroll revoked.
        #expect(rights("mia") == ["bookings.pay", "bookings.view", "clients.contacts", "reports.view", "schedule.own"])
        // Administrator: recommended + granted additional right − revoked.
        #expect(rights("ada") == ["bookings.pay", "bookings.view", "schedule.others", "schedule.own"])
        // Two roles: the union of both.
        #expect(rights("acc") == ["bookings.pay", "bookings.view", "clients.contacts", "finance.payroll", "schedule.own"])
        // No roles: the default role's rights.
        #expect(rights("eve") == ["clients.contacts", "schedule.own"])
        // A section wildcard covers every known right of the section.
        #expect(rights("boss").contains("settings.billing"))
    }

    @Test func copyRightsFromAddsTheSourcesEffectiveRightsAlongChains() throws {
        let d = try TestConfig.load(Self.seed000).directory
        let ada = Set(d.rightNames(of: d.user("ada")!))
        // "new" is an employee (default role) and copies ada, who lost clients.contacts —
        // but new's own employee role still brings it.
        #expect(Set(d.rightNames(of: d.user("new")!)) == ada.union(["clients.contacts"]))
        #expect(Set(d.rightNames(of: d.user("newer")!)) == ada.union(["clients.contacts"]))
    }

    @Test func roleGroupsFollowRolesExactly() throws {
        let d = try TestConfig.load(Self.seed000).directory
        func members(_ group: String) -> [String] { d.members(ofGroup: d.group(group)!).map { d.users[$0].id } }
        #expect(members("administrator") == ["ada", "acc"])
        #expect(members("employee") == ["eve", "new", "newer"])
        #expect(members("owner") == ["boss"])
        #expect(d.groups(of: d.user("acc")!).map { d.groups[$0].id } == ["administrator", "accountant"])
    }

    @Test func roleSelectorAndAboveFollowsInheritanceWithPath() throws {
        let config = try TestConfig.load(Self.seed000)
        let d = config.directory
        let resolution = config.resolver.resolve([.role("employee", andAbove: true)], requiredRights: [], event: nil)
        let paths = resolution.recipients.map { "\(d.users[$0.user].id): \($0.path.render(in: d, user: $0.user))" }
        #expect(paths == [
            "eve: role:employee",
            "new: role:employee",
            "newer: role:employee",
            "boss: role:employee (via owner ⊇ manager ⊇ administrator ⊇ employee)",
            "mia: role:employee (via manager ⊇ administrator ⊇ employee)",
            "ada: role:employee (via administrator ⊇ employee)",
            "acc: role:employee (via administrator ⊇ employee)",
        ])
        let exact = config.resolver.resolve([.role("administrator", andAbove: false)], requiredRights: [], event: nil)
        #expect(exact.recipientIDs(in: d) == ["ada", "acc"])
    }

    @Test func nestedGroupsFlattenWithTheirRoute() throws {
        let config = try TestConfig.load("""
        {
          "users": [{"id": "o", "owner": true, "roles": ["admin"]}, {"id": "m", "roles": ["manager"]}, {"id": "x"}, {"id": "y", "groups": ["leaf"]}],
          "groups": [
            {"id": "top", "members": ["x"], "groups": ["mid"]},
            {"id": "mid", "groups": ["leaf"], "roles": ["manager"]},
            {"id": "leaf", "members": ["x"]}
          ]
        }
        """)
        let d = config.directory
        let resolution = config.resolver.resolve([.group("top")], requiredRights: [], event: nil)
        let paths = resolution.recipients.map { "\(d.users[$0.user].id): \($0.path.render(in: d, user: $0.user))" }
        #expect(paths == [
            "x: group:top",
            "m: group:top → group:mid (role:manager)",
            "y: group:top → group:mid → group:leaf",
        ])
    }

    @Test func ownerIsTargetable() throws {
        let config = try TestConfig.load(Self.seed000)
        let resolution = config.resolver.resolve([.owner], requiredRights: [], event: nil)
        #expect(resolution.recipientIDs(in: config.directory) == ["boss"])
        #expect(resolution.recipients.first?.path == .owner)
    }
}
