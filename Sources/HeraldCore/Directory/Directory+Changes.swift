/// A change to the directory from outside the config (SCIM): users and custom groups
/// put or removed. Applied to a snapshot it gives the next snapshot, touching only the
/// indexes the change reaches, so one change costs far less than a full build.
public enum DirectoryChange: Sendable, Equatable {
    /// Creates or replaces a user. `roles` by id (none: the default role), `groups` are
    /// custom groups the user joins. Grants and `copyRightsFrom` are not supported:
    /// a provisioned user's rights are the recommended rights of their roles.
    case putUser(UserDefinition)
    /// Creates or replaces a custom group (its members, nested groups and roles).
    case putGroup(GroupDefinition)
    /// Removes a custom group nothing nests any more.
    case removeGroup(String)
}

/// Why a change cannot be applied; the message says what and names the value.
public struct DirectoryChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownRole = "unknown_role"
        case unknownUser = "unknown_user"
        case unknownGroup = "unknown_group"
        case secondOwner = "second_owner"
        case inactiveOwner = "inactive_owner"
        case ownerRemoved = "owner_removed"
        case cycle
        case roleGroup = "role_group"
        case groupInUse = "group_in_use"
        /// The user or group is defined by the config or a directory file.
        case ownedElsewhere = "owned_elsewhere"
    }

    public let code: Code
    public let message: String
    /// For `ownedElsewhere`: where the element is defined.
    public let owner: DirectorySource?

    init(_ code: Code, _ message: String, owner: DirectorySource? = nil) {
        self.code = code
        self.message = message
        self.owner = owner
    }

    public var description: String { message }
}

extension Directory {
    /// The snapshot after `changes` (applied in order), or the first reason they cannot
    /// be. Checks are the config's: known roles, users and groups, one active owner, no
    /// group cycle; users and groups from the config or a file cannot be changed.
    public func applying(_ changes: [DirectoryChange]) throws(DirectoryChangeError) -> Directory {
        var next = self
        var dirty = Set<Int>()
        var renested = Set<Int>()
        for change in changes {
            switch change {
            case .putUser(let user): try next.put(user, dirty: &dirty)
            case .putGroup(let group): try next.put(group, dirty: &dirty, renested: &renested)
            case .removeGroup(let id): try next.removeGroup(id)
            }
        }
        for g in renested.sorted() { try next.checkNoCycle(from: g) }
        next.reflatten(dirty)
        return next
    }

    /// Whether group `g` is still in the directory (a removed group keeps its slot so
    /// indexes stay stable, but is no longer found by id).
    public func isPresent(group g: Int) -> Bool { groupIndex[groups[g].id] == g }

    // MARK: - Users

    private mutating func put(_ definition: UserDefinition, dirty: inout Set<Int>) throws(DirectoryChangeError) {
        let existing = userIndex[definition.id]
        if let u = existing, users[u].source != definition.source {
            throw DirectoryChangeError(.ownedElsewhere, "user '\(definition.id)' is defined in \(users[u].source) and cannot be changed here",
                                       owner: users[u].source)
        }
        var roleList: [Int] = []
        for id in definition.roles {
            guard let r = roleIndex[id] else { throw DirectoryChangeError(.unknownRole, "undefined role '\(id)'\(Suggestion.hint(for: id, in: roleIndex.keys))") }
            if !roleList.contains(r) { roleList.append(r) }
        }
        if roleList.isEmpty { roleList = [defaultRole] }
        var joined: [Int] = []
        for id in definition.groups {
            guard let g = groupIndex[id] else { throw DirectoryChangeError(.unknownGroup, "undefined group '\(id)'") }
            guard g >= roles.count else { throw DirectoryChangeError(.roleGroup, "group '\(id)' is derived from role '\(id)'; give the user the role instead") }
            joined.append(g)
        }
        try checkOwner(definition, existing: existing)
        var rights = RightSet()
        for r in roleList { rights.formUnion(roleRights[r]) }
        let user = User(id: definition.id, name: definition.name, contact: definition.contact, active: definition.active,
                        isOwner: definition.isOwner, roles: roleList, customGroups: joined, rights: rights,
                        quietHours: definition.quietHours, source: definition.source)
        let u: Int
        if let existing {
            u = existing
        } else {
            u = users.count
            users.append(user)
            userIndex[user.id] = u
            if u >> 6 >= activeUsers.count {
                activeUsers.append(0)
                for right in rightHolders.indices { rightHolders[right].append(0) }
            }
        }
        let old = existing.map { users[$0] }
        users[u] = user
        if definition.isOwner { ownerIndex = u }
        updateRoles(of: u, from: old?.roles ?? [], to: roleList, dirty: &dirty)
        updateJoined(u, from: old?.customGroups ?? [], to: joined, dirty: &dirty)
        updateBits(of: u, active: user.active, rights: rights)
    }

    /// One active owner: a second is refused, the owner cannot go inactive or stop being it.
    private func checkOwner(_ user: UserDefinition, existing: Int?) throws(DirectoryChangeError) {
        let owner = users.indices.contains(ownerIndex) && users[ownerIndex].isOwner ? ownerIndex : nil
        if user.isOwner, let owner, owner != existing {
            throw DirectoryChangeError(.secondOwner, "second business owner '\(user.id)' (the owner is already '\(users[owner].id)')")
        }
        if user.isOwner, !user.active {
            throw DirectoryChangeError(.inactiveOwner, "the business owner '\(user.id)' cannot be inactive")
        }
        if let existing, existing == owner, !user.isOwner {
            throw DirectoryChangeError(.ownerRemoved, "'\(user.id)' is the business owner; make another user the owner first")
        }
    }

    private mutating func updateRoles(of u: Int, from old: [Int], to new: [Int], dirty: inout Set<Int>) {
        let user = Int32(u)
        for r in old where !new.contains(r) {
            if let at = Self.position(of: user, in: holders[r]) { holders[r].remove(at: at) }
            dirty.insert(r)
            dirty.formUnion(listedIn[r])
        }
        for r in new where !old.contains(r) {
            Self.insertSorted(user, into: &holders[r])
            dirty.insert(r)
            dirty.formUnion(listedIn[r])
        }
    }

    private mutating func updateJoined(_ u: Int, from old: [Int], to new: [Int], dirty: inout Set<Int>) {
        let user = Int32(u)
        for g in old where !new.contains(g) {
            if let at = Self.position(of: user, in: specs[g].joined) { specs[g].joined.remove(at: at) }
            dirty.insert(g)
        }
        for g in new where !old.contains(g) {
            Self.insertSorted(user, into: &specs[g].joined)
            dirty.insert(g)
        }
    }

    private mutating func updateBits(of u: Int, active: Bool, rights: RightSet) {
        let word = u >> 6, bit = UInt64(1) << UInt64(u & 63)
        if active { activeUsers[word] |= bit } else { activeUsers[word] &= ~bit }
        for right in rightHolders.indices {
            if rights.contains(right) { rightHolders[right][word] |= bit } else { rightHolders[right][word] &= ~bit }
        }
    }

    // MARK: - Groups

    private mutating func put(_ definition: GroupDefinition, dirty: inout Set<Int>, renested: inout Set<Int>) throws(DirectoryChangeError) {
        if roleIndex[definition.id] != nil {
            throw DirectoryChangeError(.roleGroup, "group '\(definition.id)' is the role-derived group of role '\(definition.id)'; its members follow the role")
        }
        let existing = groupIndex[definition.id]
        if let g = existing, groups[g].source != definition.source {
            throw DirectoryChangeError(.ownedElsewhere, "group '\(definition.id)' is defined in \(groups[g].source) and cannot be changed here",
                                       owner: groups[g].source)
        }
        var spec = GroupSpec()
        for id in definition.members {
            guard let u = userIndex[id] else { throw DirectoryChangeError(.unknownUser, "undefined user '\(id)'") }
            if !spec.listed.contains(Int32(u)) { spec.listed.append(Int32(u)) }
        }
        for id in definition.groups {
            guard let child = groupIndex[id] else { throw DirectoryChangeError(.unknownGroup, "undefined group '\(id)'") }
            if !spec.nested.contains(child) { spec.nested.append(child) }
        }
        for id in definition.roles {
            guard let r = roleIndex[id] else { throw DirectoryChangeError(.unknownRole, "undefined role '\(id)'") }
            if !spec.roles.contains(r) { spec.roles.append(r) }
        }
        let g: Int
        if let existing {
            g = existing
            spec.joined = specs[g].joined
            unlink(g)
        } else {
            g = groups.count
            groups.append(Group(id: definition.id, name: definition.name, kind: .custom, channel: definition.channel, source: definition.source))
            groupIndex[definition.id] = g
            specs.append(GroupSpec())
            nestedIn.append([])
            members.append([])
        }
        groups[g] = Group(id: definition.id, name: definition.name, kind: .custom, channel: definition.channel, source: definition.source)
        specs[g] = spec
        for child in spec.nested { nestedIn[child].append(g) }
        for r in spec.roles { listedIn[r].append(g) }
        dirty.insert(g)
        renested.insert(g)
    }

    private mutating func removeGroup(_ id: String) throws(DirectoryChangeError) {
        guard let g = groupIndex[id], g >= roles.count else { throw DirectoryChangeError(.unknownGroup, "undefined group '\(id)'") }
        guard groups[g].source == .scim else {
            throw DirectoryChangeError(.ownedElsewhere, "group '\(id)' is defined in \(groups[g].source) and cannot be changed here",
                                       owner: groups[g].source)
        }
        if let parent = nestedIn[g].first {
            throw DirectoryChangeError(.groupInUse, "group '\(id)' is nested in group '\(groups[parent].id)'")
        }
        if let user = specs[g].joined.first {
            throw DirectoryChangeError(.groupInUse, "user '\(users[Int(user)].id)' lists group '\(id)'")
        }
        unlink(g)
        specs[g] = GroupSpec()
        members[g] = []
        groupIndex[id] = nil
    }

    /// Removes `g` from its children's and roles' reverse indexes.
    private mutating func unlink(_ g: Int) {
        for child in specs[g].nested { nestedIn[child].removeAll { $0 == g } }
        for r in specs[g].roles { listedIn[r].removeAll { $0 == g } }
    }

    /// Refuses a nesting that leads back to `start`, naming the cycle.
    private func checkNoCycle(from start: Int) throws(DirectoryChangeError) {
        var stack: [(group: Int, next: Int)] = [(start, 0)]
        var visited = Set<Int>([start])
        while let top = stack.last {
            let children = specs[top.group].nested
            guard top.next < children.count else { stack.removeLast(); continue }
            stack[stack.count - 1].next += 1
            let child = children[top.next]
            if child == start {
                let names = (stack.map(\.group) + [start]).map { "'\(groups[$0].id)'" }
                throw DirectoryChangeError(.cycle, "group cycle \(names.joined(separator: " → "))")
            }
            if visited.insert(child).inserted { stack.append((child, 0)) }
        }
    }

    /// Flattens the touched groups again, and every group that nests one of them.
    private mutating func reflatten(_ touched: Set<Int>) {
        guard !touched.isEmpty else { return }
        var dirty = touched
        var queue = Array(touched)
        while let g = queue.popLast() {
            for parent in nestedIn[g] where dirty.insert(parent).inserted { queue.append(parent) }
        }
        var flattener = MembershipFlattener(specs: specs, holders: holders, roleCount: roles.count, userCount: users.count,
                                            routes: membershipRoutes, routeIDs: routeIDs)
        members = flattener.flatten(dirty, keeping: members)
        membershipRoutes = flattener.routes
        routeIDs = flattener.routeIDs
    }

    // MARK: - Sorted Int32 lists

    private static func position(of value: Int32, in sorted: [Int32]) -> Int? {
        let at = insertionPoint(of: value, in: sorted)
        return at < sorted.count && sorted[at] == value ? at : nil
    }

    private static func insertSorted(_ value: Int32, into sorted: inout [Int32]) {
        let at = insertionPoint(of: value, in: sorted)
        if at < sorted.count, sorted[at] == value { return }
        sorted.insert(value, at: at)
    }

    private static func insertionPoint(of value: Int32, in sorted: [Int32]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
