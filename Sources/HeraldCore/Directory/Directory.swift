/// The people Herald can notify, compiled from the config into indexes so that
/// resolving a tier never scans all users.
///
/// Users, roles and groups are addressed by their position (`Int`) in config order;
/// that order is also the stable order of recipients.
public struct Directory: Sendable {
    /// A compiled role.
    public struct Role: Sendable {
        public let id: String
        public let name: String
        public let recommendedRights: [String]
        public let additionalRights: [String]
    }

    /// A compiled user with effective roles and rights.
    public struct User: Sendable {
        public let id: String
        public let name: String
        public let contact: Contact
        public let active: Bool
        public let isOwner: Bool
        /// Roles held (the default role when the config lists none).
        public let roles: [Int]
        /// Custom groups the user was put in directly.
        public let customGroups: [Int]
        public let rights: RightSet
        /// When non-critical notices to this user are held back.
        public let quietHours: QuietHours?
        /// Where the user is defined (config, a directory file, SCIM).
        public let source: DirectorySource
    }

    /// A group: role-derived (one per role, follows the role) or custom.
    public struct Group: Sendable {
        public enum Kind: Sendable, Equatable {
            case role(Int)
            case custom
        }
        public let id: String
        public let name: String
        public let kind: Kind
        public let channel: GroupChannel?
        /// Where the group is defined; role-derived groups come from the config.
        public let source: DirectorySource
    }

    /// One member of a group's flattened membership and why they are in it.
    struct Membership: Sendable {
        let user: Int32
        /// Index into `membershipRoutes`.
        let route: Int32
    }

    /// How a member reached a group: through nested groups (outermost first, the group
    /// itself excluded) and finally as a direct member or by holding a role.
    struct MembershipRoute: Sendable, Hashable {
        enum Leaf: Sendable, Hashable {
            case direct
            case role(Int)
        }
        let nested: [Int]
        let leaf: Leaf
    }

    /// A role that includes another, with the chain from it down (e.g. admin ⊇ manager).
    struct Inclusion: Sendable {
        let role: Int
        let chain: [Int]
    }

    // Indexes are `var` so a change can derive the next snapshot from a copy
    // (Directory+Changes); a published snapshot is never mutated.
    public internal(set) var roles: [Role]
    public internal(set) var users: ChunkedArray<User>
    public internal(set) var groups: [Group]
    public let rights: RightCatalog
    public internal(set) var ownerIndex: Int
    public let defaultRole: Int

    let roleIndex: [String: Int]
    var userIndex: ShardedIndex
    var groupIndex: [String: Int]
    /// Exact holders of each role, in user order.
    var holders: [[Int32]]
    /// For each role, every other role that includes it, most senior-distance last.
    let includedBy: [[Inclusion]]
    /// For each group, its members with nested groups flattened, de-duplicated.
    var members: [[Membership]]
    var membershipRoutes: [MembershipRoute]
    /// Route → its number in `membershipRoutes`, so a change reuses routes.
    var routeIDs: [MembershipRoute: Int32]
    /// Bitmap of active users (bit = user index), and for each right the users holding
    /// it: resolution ANDs these once, then tests one bit per member instead of looking
    /// into every member's own rights.
    var activeUsers: [UInt64]
    var rightHolders: [[UInt64]]
    /// What each group is made of (empty for role-derived groups), kept so a change can
    /// re-flatten only the groups it touches.
    var specs: [GroupSpec]
    /// For each group, the custom groups that nest it directly.
    var nestedIn: [[Int]]
    /// For each role, the custom groups that list it in their `roles`.
    var listedIn: [[Int]]
    /// For each role, the recommended rights of it and every role it includes: a user
    /// with roles and no grants has the union of these.
    let roleRights: [RightSet]

    /// Users who are active and hold every right in `required`, as a bitmap.
    func eligible(holding required: [Int]) -> [UInt64] {
        var bits = activeUsers
        for right in required {
            let holders = rightHolders[right]
            for word in bits.indices { bits[word] &= holders[word] }
        }
        return bits
    }

    public func user(_ id: String) -> Int? { userIndex[id] }
    public func role(_ id: String) -> Int? { roleIndex[id] }
    public func group(_ id: String) -> Int? { groupIndex[id] }

    /// Users holding the role exactly.
    public func holders(ofRole role: Int) -> [Int] { holders[role].map(Int.init) }

    /// Every member of a group, nested groups included.
    public func members(ofGroup group: Int) -> [Int] { members[group].map { Int($0.user) } }

    /// Groups the user is in (role-derived, custom, and through nesting), in group order.
    public func groups(of user: Int) -> [Int] {
        groups.indices.filter { g in members[g].contains { Int($0.user) == user } }
    }

    /// The user's effective rights by name.
    public func rightNames(of user: Int) -> [String] { rights.names(in: users[user].rights) }

    /// Whether the user holds every right (all must be known rights).
    public func user(_ user: Int, holds required: RightSet) -> Bool { users[user].rights.isSuperset(of: required) }
}
