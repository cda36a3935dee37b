import Testing
import HeraldTestKit
@testable import HeraldCore

/// Incremental directory changes (SCIM): a changed snapshot answers exactly as a full
/// build of the same definitions would, and every refusal says why.
struct DirectoryChangeTests {
    static let base = """
    {
      "users": [
        {"id": "owner", "owner": true, "roles": ["admin"]},
        {"id": "cfg", "roles": ["manager"], "groups": ["ops"]}
      ],
      "groups": [
        {"id": "ops", "members": ["owner"], "roles": ["manager"]},
        {"id": "leads", "groups": ["ops"]}
      ],
      "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"group": "leads"}]}]}]
    }
    """

    static func scimUser(_ id: String, roles: [String] = [], active: Bool = true, owner: Bool = false) -> UserDefinition {
        var user = UserDefinition(id: id, name: id.uppercased(), active: active, roles: roles, isOwner: owner)
        user.source = .scim
        return user
    }

    static func scimGroup(_ id: String, members: [String] = [], groups: [String] = [], roles: [String] = []) -> GroupDefinition {
        var group = GroupDefinition(id: id, members: members, groups: groups, roles: roles)
        group.source = .scim
        return group
    }

    /// What resolution can observe of a directory, by id.
    static func observable(_ d: Directory) -> [String] {
        var lines = d.users.indices.map { u in
            let user = d.users[u]
            return "user \(user.id) active=\(user.active) roles=\(user.roles.map { d.roles[$0].id }) rights=\(d.rightNames(of: u)) groups=\(d.groups(of: u).map { d.groups[$0].id })"
        }
        for g in d.groups.indices where d.isPresent(group: g) {
            let members = d.memberPaths(ofGroup: g).map { "\(d.users[$0.user].id) via \($0.path)" }.sorted()
            lines.append("group \(d.groups[g].id): \(members)")
        }
        for r in d.roles.indices { lines.append("role \(d.roles[r].id): \(d.holders(ofRole: r).map { d.users[$0].id })") }
        lines.append("active=\(d.users.indices.filter { d.eligible(holding: [])[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 }.map { d.users[$0].id })")
        return lines
    }

    /// The same definitions built from scratch: base config + SCIM users and groups.
    static func rebuilt(users: [UserDefinition], groups: [GroupDefinition]) throws -> Directory {
        var document = try TestConfig.load(base).document
        document.users += users
        document.groups += groups
        return try HeraldConfig.compile(document).directory
    }

    @Test func aSequenceOfChangesMatchesAFullBuild() throws {
        var directory = try TestConfig.load(Self.base).directory
        var users: [String: UserDefinition] = [:]
        var order: [String] = []
        var groups: [String: GroupDefinition] = [:]
        var groupOrder: [String] = []
        func put(_ user: UserDefinition) throws {
            directory = try directory.applying([.putUser(user)])
            if users[user.id] == nil { order.append(user.id) }
            users[user.id] = user
        }
        func put(_ group: GroupDefinition) throws {
            directory = try directory.applying([.putGroup(group)])
            if groups[group.id] == nil { groupOrder.append(group.id) }
            groups[group.id] = group
        }
        func check(_ step: String) throws {
            let full = try Self.rebuilt(users: order.map { users[$0]! }, groups: groupOrder.map { groups[$0]! })
            #expect(Self.observable(directory) == Self.observable(full), "after \(step)")
        }
        try put(Self.scimUser("ann", roles: ["manager"]))
        try check("a new manager (joins ops through its role, leads through ops)")
        try put(Self.scimUser("bob"))
        try put(Self.scimGroup("night", members: ["bob", "ann"]))
        try check("a new group")
        try put(Self.scimGroup("night", members: ["bob"], roles: ["admin"]))
        try check("a group's members and roles replaced")
        try put(Self.scimGroup("all-night", groups: ["night", "ops"]))
        try check("a group nesting a SCIM group and a config group")
        try put(Self.scimUser("bob", roles: ["admin", "manager"]))
        try check("roles added: bob enters the admin group, ops, leads, night by role")
        try put(Self.scimUser("ann", roles: [], active: false))
        try check("deactivated and back to the default role")
        for i in 0..<70 { try put(Self.scimUser("bulk\(i)", roles: i % 2 == 0 ? ["manager"] : [])) }
        try check("past 64 users: the bitmaps grow a word")
    }

    @Test func removingAGroupLeavesTheRestAsAFullBuildWould() throws {
        var directory = try TestConfig.load(Self.base).directory
        directory = try directory.applying([.putUser(Self.scimUser("ann")), .putGroup(Self.scimGroup("night", members: ["ann"])),
                                            .putGroup(Self.scimGroup("outer", groups: ["night"]))])
        directory = try directory.applying([.putGroup(Self.scimGroup("outer")), .removeGroup("night")])
        #expect(directory.group("night") == nil)
        #expect(Self.observable(directory) == Self.observable(try Self.rebuilt(users: [Self.scimUser("ann")], groups: [Self.scimGroup("outer")])))
    }

    /// Each refusal: the config's own rules, applied to SCIM changes.
    @Test func refusalsNameTheProblem() throws {
        let directory = try TestConfig.load(Self.base).directory
            .applying([.putUser(Self.scimUser("ann")), .putGroup(Self.scimGroup("a")), .putGroup(Self.scimGroup("b", groups: ["a"]))])
        let cases: [(String, [DirectoryChange], DirectoryChangeError.Code, String)] = [
            ("unknown role", [.putUser(Self.scimUser("x", roles: ["mangaer"]))], .unknownRole, "undefined role 'mangaer' (did you mean 'manager'?)"),
            ("second owner", [.putUser(Self.scimUser("x", owner: true))], .secondOwner, "second business owner 'x' (the owner is already 'owner')"),
            ("group cycle", [.putGroup(Self.scimGroup("a", groups: ["b"]))], .cycle, "group cycle 'a' → 'b' → 'a'"),
            ("config user", [.putUser(Self.scimUser("cfg"))], .ownedElsewhere, "user 'cfg' is defined in config and cannot be changed here"),
            ("config group", [.putGroup(Self.scimGroup("ops"))], .ownedElsewhere, "group 'ops' is defined in config and cannot be changed here"),
            ("role group", [.putGroup(Self.scimGroup("manager"))], .roleGroup, "group 'manager' is the role-derived group of role 'manager'; its members follow the role"),
            ("unknown member", [.putGroup(Self.scimGroup("c", members: ["nobody"]))], .unknownUser, "undefined user 'nobody'"),
            ("removing a nested group", [.removeGroup("a")], .groupInUse, "group 'a' is nested in group 'b'"),
        ]
        for (name, changes, code, message) in cases {
            #expect(throws: DirectoryChangeError(code, message, owner: code == .ownedElsewhere ? .config : nil), "\(name)") {
                _ = try directory.applying(changes)
            }
        }
    }

    /// A refused batch changes nothing: the snapshot it was applied to is untouched.
    @Test func aRefusedChangeLeavesTheSnapshotAsItWas() throws {
        let directory = try TestConfig.load(Self.base).directory
        let before = Self.observable(directory)
        #expect(throws: DirectoryChangeError.self) {
            _ = try directory.applying([.putUser(Self.scimUser("x", roles: ["manager"])), .putUser(Self.scimUser("y", roles: ["nope"]))])
        }
        #expect(Self.observable(directory) == before)
    }
}
