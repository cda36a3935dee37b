/// Compiles validated definitions into a `Directory`: role inclusion chains, holders
/// per role, effective rights per user and flattened group membership, all computed
/// once at load so resolution only walks precomputed arrays.
struct DirectoryBuilder {
    let document: ConfigDocument
    let diagnostics: ConfigDiagnostics

    func build() -> Directory {
        let roleIndex = Dictionary(document.roles.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let includedBy = inclusions(roleIndex)
        let catalog = RightCatalog(names: mentionedRights())
        let defaultRole = roleIndex[document.defaultRole] ?? 0
        let userIndex = Dictionary(document.users.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })

        // Role-derived groups come first, one per role, then custom groups.
        var groups = document.roles.enumerated().map {
            Directory.Group(id: $1.id, name: $1.name, kind: .role($0), channel: nil, source: .config)
        }
        groups += document.groups.map { Directory.Group(id: $0.id, name: $0.name, kind: .custom, channel: $0.channel, source: $0.source) }
        let groupIndex = Dictionary(groups.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })

        let users = compileUsers(roleIndex: roleIndex, groupIndex: groupIndex, userIndex: userIndex,
                                 includedBy: includedBy, catalog: catalog, defaultRole: defaultRole)
        var holders = Array(repeating: [Int32](), count: document.roles.count)
        for (u, user) in users.enumerated() {
            for role in user.roles { holders[role].append(Int32(u)) }
        }
        var flattener = MembershipFlattener(document: document, users: users, holders: holders,
                                            roleIndex: roleIndex, groupIndex: groupIndex, userIndex: userIndex)
        let members = flattener.flattenAll(groupCount: groups.count)

        let words = users.count / 64 + 1
        var activeUsers = [UInt64](repeating: 0, count: words)
        var rightHolders = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: catalog.names.count)
        for (u, user) in users.enumerated() {
            let bit = UInt64(1) << UInt64(u & 63)
            if user.active { activeUsers[u >> 6] |= bit }
            for right in catalog.names.indices where user.rights.contains(right) { rightHolders[right][u >> 6] |= bit }
        }
        return Directory(
            roles: document.roles.map { Directory.Role(id: $0.id, name: $0.name, recommendedRights: $0.recommendedRights, additionalRights: $0.additionalRights) },
            users: users, groups: groups, rights: catalog,
            ownerIndex: document.users.firstIndex(where: \.isOwner) ?? 0, defaultRole: defaultRole,
            roleIndex: roleIndex, userIndex: userIndex, groupIndex: groupIndex,
            holders: holders, includedBy: includedBy, members: members, membershipRoutes: flattener.routes,
            activeUsers: activeUsers, rightHolders: rightHolders)
    }

    /// For each role, the roles that include it, with the inheritance chain (breadth
    /// first from each including role, so the chain shown is the shortest).
    private func inclusions(_ roleIndex: [String: Int]) -> [[Directory.Inclusion]] {
        var result = Array(repeating: [Directory.Inclusion](), count: document.roles.count)
        for (senior, role) in document.roles.enumerated() {
            var parent: [Int: Int] = [senior: senior]
            var queue = [senior]
            var head = 0
            while head < queue.count {
                let current = queue[head]
                head += 1
                for name in document.roles[current].inherits {
                    guard let next = roleIndex[name], parent[next] == nil else { continue }
                    parent[next] = current
                    queue.append(next)
                }
            }
            _ = role
            for junior in queue.dropFirst() {
                var chain = [junior]
                while let up = parent[chain[0]], up != chain[0] { chain.insert(up, at: 0) }
                result[junior].append(Directory.Inclusion(role: senior, chain: chain))
            }
        }
        return result
    }

    /// Every role a role stands for: itself and everything it inherits.
    private func closure(of role: Int, _ includedBy: [[Directory.Inclusion]]) -> [Int] {
        [role] + includedBy.indices.filter { junior in includedBy[junior].contains { $0.role == role } }
    }

    private func mentionedRights() -> Set<String> {
        var names = Set<String>()
        for role in document.roles { names.formUnion(role.recommendedRights); names.formUnion(role.additionalRights) }
        for user in document.users { names.formUnion(user.grantedRights); names.formUnion(user.revokedRights) }
        for rule in document.rules { names.formUnion(rule.requiredRights); names.formUnion(rule.acknowledgeRights) }
        return names
    }

    // swiftlint:disable:next function_parameter_count
    private func compileUsers(roleIndex: [String: Int], groupIndex: [String: Int], userIndex: [String: Int],
                              includedBy: [[Directory.Inclusion]], catalog: RightCatalog, defaultRole: Int) -> [Directory.User] {
        // Role closures and right sets are shared by many users: compute once per role.
        let closures = document.roles.indices.map { closure(of: $0, includedBy) }
        let recommended = closures.map { catalog.expand($0.flatMap { document.roles[$0].recommendedRights }) }
        let grantable = closures.indices.map { r in
            catalog.expand(closures[r].flatMap { document.roles[$0].recommendedRights + document.roles[$0].additionalRights })
        }
        var own: [RightSet] = []
        var roleLists: [[Int]] = []
        for (u, user) in document.users.enumerated() {
            let roles = user.roles.isEmpty ? [defaultRole] : user.roles.compactMap { roleIndex[$0] }
            var rights = RightSet()
            var allowed = RightSet()
            for role in roles { rights.formUnion(recommended[role]); allowed.formUnion(grantable[role]) }
            for (g, grant) in user.grantedRights.enumerated() {
                let expanded = catalog.expand(grant)
                if !allowed.isSuperset(of: expanded) {
                    let roleNames = roles.map { "'\(document.roles[$0].id)'" }.joined(separator: ", ")
                    diagnostics.error("right_not_grantable",
                                      document.userPath(u).appending("rights").appending("grant").appending(g),
                                      "right '\(grant)' is neither recommended nor additional for roles \(roleNames)")
                }
                rights.formUnion(expanded)
            }
            rights.subtract(catalog.expand(user.revokedRights))
            own.append(rights)
            roleLists.append(roles)
        }
        let effective = copiedRights(own, userIndex: userIndex)
        return document.users.enumerated().map { u, user in
            Directory.User(id: user.id, name: user.name, contact: user.contact, active: user.active, isOwner: user.isOwner,
                           roles: roleLists[u], customGroups: user.groups.compactMap { groupIndex[$0] }, rights: effective[u],
                           quietHours: user.quietHours, source: user.source)
        }
    }

    /// Adds `copyRightsFrom` sources' effective rights, following chains (a copies b,
    /// b copies c). Cycles were rejected by the decoder; `visiting` guards anyway.
    private func copiedRights(_ own: [RightSet], userIndex: [String: Int]) -> [RightSet] {
        var effective: [RightSet?] = Array(repeating: nil, count: own.count)
        func resolve(_ u: Int, _ visiting: inout Set<Int>) -> RightSet {
            if let done = effective[u] { return done }
            var rights = own[u]
            if let source = document.users[u].copyRightsFrom.flatMap({ userIndex[$0] }), visiting.insert(u).inserted {
                rights.formUnion(resolve(source, &visiting))
            }
            effective[u] = rights
            return rights
        }
        for u in own.indices {
            var visiting = Set<Int>()
            _ = resolve(u, &visiting)
        }
        return effective.map { $0 ?? RightSet() }
    }
}

/// Flattens each group's membership (direct members, role holders, nested groups) once,
/// memoised per group, recording the route that brought each member in.
struct MembershipFlattener {
    let document: ConfigDocument
    let users: [Directory.User]
    let holders: [[Int32]]
    let roleIndex: [String: Int]
    let groupIndex: [String: Int]
    let userIndex: [String: Int]
    private(set) var routes: [Directory.MembershipRoute] = []
    private var routeIDs: [Directory.MembershipRoute: Int32] = [:]
    private var done: [[Directory.Membership]?] = []
    /// Users listing each custom group in their own `groups`.
    private var joinedBy: [Int: [Int32]] = [:]
    private var seen: [UInt64]

    init(document: ConfigDocument, users: [Directory.User], holders: [[Int32]], roleIndex: [String: Int],
         groupIndex: [String: Int], userIndex: [String: Int]) {
        self.document = document
        self.users = users
        self.holders = holders
        self.roleIndex = roleIndex
        self.groupIndex = groupIndex
        self.userIndex = userIndex
        self.seen = Array(repeating: 0, count: users.count / 64 + 1)
        for (u, user) in users.enumerated() {
            for g in user.customGroups { joinedBy[g, default: []].append(Int32(u)) }
        }
    }

    mutating func flattenAll(groupCount: Int) -> [[Directory.Membership]] {
        done = Array(repeating: nil, count: groupCount)
        for g in 0..<groupCount { _ = flatten(g, depth: 0) }
        return done.map { $0 ?? [] }
    }

    private mutating func route(_ route: Directory.MembershipRoute) -> Int32 {
        if let id = routeIDs[route] { return id }
        let id = Int32(routes.count)
        routes.append(route)
        routeIDs[route] = id
        return id
    }

    private mutating func flatten(_ g: Int, depth: Int) -> [Directory.Membership] {
        if let members = done[g] { return members }
        let roleCount = document.roles.count
        guard g >= roleCount else {
            let via = route(.init(nested: [], leaf: .role(g)))
            let members = holders[g].map { Directory.Membership(user: $0, route: via) }
            done[g] = members
            return members
        }
        let definition = document.groups[g - roleCount]
        // Nested groups first (memoised) so the shared `seen` bitmap is free for this group.
        // Depth is bounded by the group count: cycles were rejected by the decoder.
        var nested: [(Int, [Directory.Membership])] = []
        if depth <= document.groups.count {
            for child in definition.groups.compactMap({ groupIndex[$0] }) { nested.append((child, flatten(child, depth: depth + 1))) }
        }
        var members: [Directory.Membership] = []
        let direct = route(.init(nested: [], leaf: .direct))
        for user in definition.members.compactMap({ userIndex[$0] }).map(Int32.init) + (joinedBy[g] ?? []) {
            add(user, direct, to: &members)
        }
        for role in definition.roles.compactMap({ roleIndex[$0] }) {
            let via = route(.init(nested: [], leaf: .role(role)))
            for user in holders[role] { add(user, via, to: &members) }
        }
        for (child, childMembers) in nested {
            for member in childMembers {
                let inner = routes[Int(member.route)]
                let via = route(.init(nested: [child] + inner.nested, leaf: inner.leaf))
                add(member.user, via, to: &members)
            }
        }
        for member in members { seen[Int(member.user) >> 6] = 0 }
        done[g] = members
        return members
    }

    private mutating func add(_ user: Int32, _ via: Int32, to members: inout [Directory.Membership]) {
        let word = Int(user) >> 6, bit = UInt64(1) << UInt64(user & 63)
        guard seen[word] & bit == 0 else { return }
        seen[word] |= bit
        members.append(Directory.Membership(user: user, route: via))
    }
}
