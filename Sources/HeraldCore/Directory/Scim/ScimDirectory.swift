/// The users and groups provisioned through SCIM, and how they map onto Herald's
/// directory: a user's roles are its `roles` values plus the role of every group it is
/// in that `scim.roleGroups` names; any other group is a custom group, whose directory
/// id is the one `scim.groups` gives its display name, else its SCIM `id`.
///
/// Mutated in place by the one serial owner (the daemon's SCIM service) only after a
/// change was applied to the directory and stored; the `changes(…)` functions compute
/// what a proposed change means without changing anything.
public struct ScimDirectory: Sendable {
    public private(set) var users: [String: ScimUser] = [:]
    /// Creation order: the order of list responses and of users in the directory.
    public private(set) var userOrder: [String] = []
    public private(set) var groups: [String: ScimGroup] = [:]
    public private(set) var groupOrder: [String] = []
    /// externalId → user id, for `externalId eq` filters.
    private var externalIDs: [String: String] = [:]
    /// User id → SCIM groups listing the user directly.
    private var groupsOfUser: [String: Set<String>] = [:]
    public let roleGroups: [String: String]
    /// `scim.groups`: display name → the custom group's id in the directory.
    public let groupIDs: [String: String]

    public init(users: [ScimUser], groups: [ScimGroup], roleGroups: [String: String], groupIDs: [String: String] = [:]) {
        self.roleGroups = roleGroups
        self.groupIDs = groupIDs
        for user in users { store(user) }
        for group in groups { store(group) }
    }

    // MARK: - Mapping

    /// The Herald role a group stands for, if `scim.roleGroups` maps it.
    public func role(of group: ScimGroup) -> String? { roleGroups[group.displayName] }

    /// The id a custom group has in the directory (what rules name).
    public func directoryID(of group: ScimGroup) -> String { groupIDs[group.displayName] ?? group.id }

    /// The user as Herald's directory sees it, with `replacing` standing in for the
    /// stored group of the same id (nil group: the stored one is gone).
    public func definition(of user: ScimUser, replacing: (id: String, group: ScimGroup?)? = nil) -> UserDefinition {
        var roles = user.roles.map(\.value)
        var groupIDs = groupsOfUser[user.id] ?? []
        if let replacing {
            groupIDs.remove(replacing.id)
            if let group = replacing.group, group.members.contains(where: { $0.kind == .user && $0.value == user.id }) {
                groupIDs.insert(replacing.id)
            }
        }
        for id in groupIDs.sorted() {
            let group = id == replacing?.id ? replacing?.group : groups[id]
            if let group, let role = role(of: group), !roles.contains(role) { roles.append(role) }
        }
        func preferred(_ values: [ScimMultiValue]) -> String? { (values.first { $0.primary } ?? values.first)?.value }
        var definition = UserDefinition(id: user.id, name: user.heraldName,
                                        contact: Contact(email: preferred(user.emails), phone: preferred(user.phoneNumbers)),
                                        active: user.active, roles: roles, isOwner: user.owner)
        definition.source = .scim
        return definition
    }

    /// A group that maps to no role, as a custom group of the directory.
    public func definition(of group: ScimGroup) -> GroupDefinition {
        var definition = GroupDefinition(id: directoryID(of: group), name: group.displayName,
                                         members: group.members.filter { $0.kind == .user }.map(\.value),
                                         groups: group.members.filter { $0.kind == .group }.map { groups[$0.value].map(directoryID(of:)) ?? $0.value })
        definition.source = .scim
        return definition
    }

    /// Everything, as changes to a directory built from the config: users first, then
    /// custom groups without their nesting, then again with it (so nested groups exist
    /// in any order).
    public func allChanges() -> [DirectoryChange] {
        var changes = userOrder.map { DirectoryChange.putUser(definition(of: users[$0]!)) }
        let custom = groupOrder.compactMap { groups[$0] }.filter { role(of: $0) == nil }.map(definition(of:))
        changes += custom.map { group in
            var flat = GroupDefinition(id: group.id, name: group.name, members: group.members)
            flat.source = .scim
            return .putGroup(flat)
        }
        changes += custom.filter { !$0.groups.isEmpty }.map { .putGroup($0) }
        return changes
    }

    // MARK: - Proposed changes

    /// What creating or replacing a user means for the directory.
    public func changes(putting user: ScimUser) -> [DirectoryChange] {
        [.putUser(definition(of: user))]
    }

    /// What creating, replacing (`new`) or deleting (`new` nil) group `id` means: the
    /// custom group put or removed, and every SCIM user whose roles it changes.
    public func changes(group id: String, becoming new: ScimGroup?) -> [DirectoryChange] {
        let old = groups[id]
        var changes: [DirectoryChange] = []
        if let new, role(of: new) == nil { changes.append(.putGroup(definition(of: new))) }
        var affected = Set<String>()
        for group in [old, new].compactMap({ $0 }) where role(of: group) != nil {
            for member in group.members where member.kind == .user && users[member.value] != nil { affected.insert(member.value) }
        }
        for userID in userOrderFiltered(affected) {
            changes.append(.putUser(definition(of: users[userID]!, replacing: (id, new))))
        }
        // Gone, now a role group, or renamed into or out of `scim.groups`: the old
        // directory group goes (refused while another group nests it).
        if let old, role(of: old) == nil, new == nil || role(of: new!) != nil || directoryID(of: new!) != directoryID(of: old) {
            changes.append(.removeGroup(directoryID(of: old)))
        }
        return changes
    }

    /// SCIM groups that list group `id` as a member (they lose it when it is deleted).
    public func parents(of id: String) -> [ScimGroup] {
        groupOrder.compactMap { groups[$0] }.filter { $0.members.contains { $0.kind == .group && $0.value == id } }
    }

    private func userOrderFiltered(_ ids: Set<String>) -> [String] {
        ids.count < 64 ? ids.sorted() : userOrder.filter(ids.contains)
    }

    // MARK: - Lookups

    public func user(externalID: String) -> ScimUser? { externalIDs[externalID].flatMap { users[$0] } }

    public func group(displayName: String) -> ScimGroup? {
        groupOrder.lazy.compactMap { groups[$0] }.first { $0.displayName.lowercased() == displayName.lowercased() }
    }

    // MARK: - Committing (after the directory and the store took the change)

    public mutating func store(_ user: ScimUser) {
        if let old = users[user.id] {
            if let external = old.externalId { externalIDs[external] = nil }
        } else {
            userOrder.append(user.id)
        }
        users[user.id] = user
        if let external = user.externalId { externalIDs[external] = user.id }
    }

    public mutating func store(_ group: ScimGroup) {
        if let old = groups[group.id] {
            for member in old.members where member.kind == .user { groupsOfUser[member.value]?.remove(group.id) }
        } else {
            groupOrder.append(group.id)
        }
        groups[group.id] = group
        for member in group.members where member.kind == .user { groupsOfUser[member.value, default: []].insert(group.id) }
    }

    public mutating func removeGroup(_ id: String) {
        guard let old = groups.removeValue(forKey: id) else { return }
        for member in old.members where member.kind == .user { groupsOfUser[member.value]?.remove(id) }
        groupOrder.removeAll { $0 == id }
    }
}
