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
        // Users are read field by field through their index throughout: copying a whole
        // `UserDefinition` per user (a dozen strings and arrays) was ≈ 9 % of a
        // 100,000-user load in outlined copies and retains.
        let definitions = document.users
        var userIndex = [String: Int](minimumCapacity: definitions.count)
        for u in definitions.indices where userIndex[definitions[u].id] == nil { userIndex[definitions[u].id] = u }

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
        let specs = groupSpecs(groupCount: groups.count, users: users, roleIndex: roleIndex, groupIndex: groupIndex, userIndex: userIndex)
        var nestedIn = Array(repeating: [Int](), count: groups.count)
        var listedIn = Array(repeating: [Int](), count: document.roles.count)
        for (g, spec) in specs.enumerated() {
            for child in spec.nested { nestedIn[child].append(g) }
            for role in spec.roles { listedIn[role].append(g) }
        }
        var flattener = MembershipFlattener(specs: specs, holders: holders, roleCount: document.roles.count,
                                            userCount: users.count, routes: [], routeIDs: [:])
        let members = flattener.flatten(Set(groups.indices), keeping: [])

        let words = users.count / 64 + 1
        var activeUsers = [UInt64](repeating: 0, count: words)
        var rightHolders = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: catalog.names.count)
        for (u, user) in users.enumerated() {
            let bit = UInt64(1) << UInt64(u & 63)
            if user.active { activeUsers[u >> 6] |= bit }
            for right in catalog.names.indices where user.rights.contains(right) { rightHolders[right][u >> 6] |= bit }
        }
        let closures = document.roles.indices.map { closure(of: $0, includedBy) }
        return Directory(
            roles: document.roles.map { Directory.Role(id: $0.id, name: $0.name, recommendedRights: $0.recommendedRights, additionalRights: $0.additionalRights) },
            users: ChunkedArray(users), groups: groups, rights: catalog,
            ownerIndex: definitions.indices.first { definitions[$0].isOwner } ?? 0, defaultRole: defaultRole,
            roleIndex: roleIndex, userIndex: ShardedIndex(userIndex), groupIndex: groupIndex,
            holders: holders, includedBy: includedBy, members: members, membershipRoutes: flattener.routes,
            routeIDs: flattener.routeIDs, activeUsers: activeUsers, rightHolders: rightHolders,
            specs: specs, nestedIn: nestedIn, listedIn: listedIn,
            roleRights: closures.map { catalog.expand($0.flatMap { document.roles[$0].recommendedRights }) })
    }

    /// What each custom group is made of, by index: members listed by the group, then
    /// users who list the group in their own `groups` (in user order), nested groups and
    /// roles. Role-derived groups get an empty spec (their members are the holders).
    private func groupSpecs(groupCount: Int, users: [Directory.User], roleIndex: [String: Int],
                            groupIndex: [String: Int], userIndex: [String: Int]) -> [GroupSpec] {
        var specs = Array(repeating: GroupSpec(), count: groupCount)
        let roleCount = document.roles.count
        for (i, definition) in document.groups.enumerated() {
            specs[roleCount + i] = GroupSpec(listed: definition.members.compactMap { userIndex[$0] }.map(Int32.init),
                                             nested: definition.groups.compactMap { groupIndex[$0] },
                                             roles: definition.roles.compactMap { roleIndex[$0] })
        }
        for (u, user) in users.enumerated() {
            for g in user.customGroups { specs[g].joined.append(Int32(u)) }
        }
        return specs
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
        let users = document.users
        for u in users.indices where !users[u].grantedRights.isEmpty || !users[u].revokedRights.isEmpty {
            names.formUnion(users[u].grantedRights)
            names.formUnion(users[u].revokedRights)
        }
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
        let definitions = document.users
        for u in definitions.indices {
            let roleIDs = definitions[u].roles
            let roles = roleIDs.isEmpty ? [defaultRole] : roleIDs.compactMap { roleIndex[$0] }
            var rights = RightSet()
            var allowed = RightSet()
            for role in roles { rights.formUnion(recommended[role]); allowed.formUnion(grantable[role]) }
            for (g, grant) in definitions[u].grantedRights.enumerated() {
                let expanded = catalog.expand(grant)
                if !allowed.isSuperset(of: expanded) {
                    let roleNames = roles.map { "'\(document.roles[$0].id)'" }.joined(separator: ", ")
                    diagnostics.error("right_not_grantable",
                                      document.userPath(u).appending("rights").appending("grant").appending(g),
                                      "right '\(grant)' is neither recommended nor additional for roles \(roleNames)")
                }
                rights.formUnion(expanded)
            }
            let revoked = definitions[u].revokedRights
            if !revoked.isEmpty { rights.subtract(catalog.expand(revoked)) }
            own.append(rights)
            roleLists.append(roles)
        }
        let effective = copiedRights(own, userIndex: userIndex)
        return definitions.indices.map { u in
            Directory.User(id: definitions[u].id, name: definitions[u].name, contact: definitions[u].contact, active: definitions[u].active,
                           isOwner: definitions[u].isOwner, roles: roleLists[u], customGroups: definitions[u].groups.compactMap { groupIndex[$0] },
                           rights: effective[u], quietHours: definitions[u].quietHours, source: definitions[u].source)
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

