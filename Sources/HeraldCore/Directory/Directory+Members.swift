/// A group's members with the path that makes each one a member, for people: the
/// directory API and tests that compare two snapshots.
extension Directory {
    /// One member and why: `group:ops → group:night (role:manager)`.
    public struct GroupMember: Sendable, Equatable {
        public let user: Int
        public let path: String
    }

    /// Every member of group `g` (nested groups included) in membership order.
    public func memberPaths(ofGroup g: Int) -> [GroupMember] {
        members[g].map { member in
            GroupMember(user: Int(member.user), path: SelectionPath.group(g, route: member.route).render(in: self, user: Int(member.user)))
        }
    }

    /// The custom groups still present, in group order.
    public var customGroups: [Int] {
        groups.indices.filter { groups[$0].kind == .custom && isPresent(group: $0) }
    }
}
