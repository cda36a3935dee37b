/// What a custom group is made of, by index; what `MembershipFlattener` flattens.
struct GroupSpec: Sendable, Equatable {
    /// Users the group lists as members, in the order written.
    var listed: [Int32] = []
    /// Users who list the group in their own `groups`, in user order.
    var joined: [Int32] = []
    /// Groups nested in this one.
    var nested: [Int] = []
    /// Roles whose holders (exactly) are members.
    var roles: [Int] = []
}

/// Flattens groups' membership (direct members, role holders, nested groups), memoised
/// per group, recording the route that brought each member in. At load it flattens every
/// group; after a change only the groups the change touched (and the groups nesting
/// them), reusing the others' flattened members.
struct MembershipFlattener {
    let specs: [GroupSpec]
    let holders: [[Int32]]
    let roleCount: Int
    private(set) var routes: [Directory.MembershipRoute]
    private(set) var routeIDs: [Directory.MembershipRoute: Int32]
    private var done: [[Directory.Membership]?] = []
    private var seen: [UInt64]

    init(specs: [GroupSpec], holders: [[Int32]], roleCount: Int, userCount: Int,
         routes: [Directory.MembershipRoute], routeIDs: [Directory.MembershipRoute: Int32]) {
        self.specs = specs
        self.holders = holders
        self.roleCount = roleCount
        self.routes = routes
        self.routeIDs = routeIDs
        self.seen = Array(repeating: 0, count: userCount / 64 + 1)
    }

    /// Every group's members: the `dirty` groups flattened anew, the others taken from
    /// `keeping` (indexed by group; a group beyond it counts as dirty).
    mutating func flatten(_ dirty: Set<Int>, keeping: [[Directory.Membership]]) -> [[Directory.Membership]] {
        done = specs.indices.map { g in dirty.contains(g) || g >= keeping.count ? nil : keeping[g] }
        for g in dirty.sorted() { _ = flatten(g, depth: 0) }
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
        guard g >= roleCount else {
            let via = route(.init(nested: [], leaf: .role(g)))
            let members = holders[g].map { Directory.Membership(user: $0, route: via) }
            done[g] = members
            return members
        }
        let spec = specs[g]
        // Nested groups first (memoised) so the shared `seen` bitmap is free for this group.
        // Depth is bounded by the group count: cycles were refused before.
        var nested: [(Int, [Directory.Membership])] = []
        if depth <= specs.count {
            for child in spec.nested { nested.append((child, flatten(child, depth: depth + 1))) }
        }
        var members: [Directory.Membership] = []
        let direct = route(.init(nested: [], leaf: .direct))
        for user in spec.listed { add(user, direct, to: &members) }
        for user in spec.joined { add(user, direct, to: &members) }
        for role in spec.roles {
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
