/// Why a recipient was chosen: the selector and, for roles and groups, the route.
///
/// Kept compact (indexes into the directory) because a 10,000-member group yields
/// 10,000 of these per resolution; `render(in:)` spells it out for people.
public enum SelectionPath: Sendable, Hashable {
    case user
    /// Holder of the selected role itself.
    case role(Int)
    /// Holder of a role that includes the selected one: chain from holder's role down.
    case roleAbove(selected: Int, chain: [Int])
    /// Member of a group through a membership route.
    case group(Int, route: Int32)
    case relation(String)
    case owner
    /// A group selector whose group the directory does not have (yet) or that has no
    /// members: only ever on an exclusion, so the notice says why nobody came from it.
    case absentGroup(String)

    /// The group a group selector named (the outermost one), if this is a group path.
    public var group: Int? {
        if case .group(let group, _) = self { return group }
        return nil
    }

    /// `role:manager (via admin ⊇ manager)`, `group:sc-managers → group:regional-leads`, …
    public func render(in directory: Directory, user: Int) -> String {
        switch self {
        case .user:
            return "user:\(directory.users[user].id)"
        case .role(let role):
            return "role:\(directory.roles[role].id)"
        case .roleAbove(let selected, let chain):
            return "role:\(directory.roles[selected].id) (via \(chain.map { directory.roles[$0].id }.joined(separator: " ⊇ ")))"
        case .group(let group, let routeID):
            let route = directory.membershipRoutes[Int(routeID)]
            var text = ([group] + route.nested).map { "group:\(directory.groups[$0].id)" }.joined(separator: " → ")
            if case .role(let role) = route.leaf, directory.groups[([group] + route.nested).last!].kind != .role(role) {
                text += " (role:\(directory.roles[role].id))"
            }
            return text
        case .relation(let name):
            return "relation:\(name)"
        case .owner:
            return "owner"
        case .absentGroup(let id):
            return "group:\(id)"
        }
    }
}

/// A person who will be told, and the first path that selected them.
public struct Recipient: Sendable, Hashable {
    public let user: Int
    public let path: SelectionPath
}

/// Why someone a selector named is not told.
public enum ExclusionReason: Sendable, Hashable, CustomStringConvertible {
    case inactive
    case lacksRight(String)
    /// The event's relation names a user the directory does not know.
    case unknownRelationUser(relation: String, userID: String)
    /// The rule targets a relation the event does not carry.
    case missingRelation(String)
    /// The rule targets a group the directory does not have: one `scim.groups` declares
    /// that the identity provider has not pushed (yet), or one it deleted.
    case unknownGroup(String)
    /// The rule targets a group that has no members now.
    case emptyGroup(String)

    public var description: String {
        switch self {
        case .inactive: "inactive"
        case .lacksRight(let right): "lacks right '\(right)'"
        case .unknownRelationUser(let relation, let id): "relation '\(relation)' names unknown user '\(id)'"
        case .missingRelation(let relation): "the event carries no relation '\(relation)'"
        case .unknownGroup(let id): "group '\(id)' is not in the directory (not provisioned yet, or deleted)"
        case .emptyGroup(let id): "group '\(id)' has no members"
        }
    }
}

/// Someone not told: a directory user (or an unknown id from a relation) and why.
public struct Exclusion: Sendable, Hashable {
    /// Directory index, nil when the id is unknown or absent.
    public let user: Int?
    public let userID: String?
    public let path: SelectionPath
    public let reason: ExclusionReason
}

/// The outcome of resolving one audience: who is told (de-duplicated, in a stable
/// order) and who is not, each with the path that named them.
public struct Resolution: Sendable, Equatable {
    public var recipients: [Recipient] = []
    /// The first `RecipientResolver.maxListedExclusions` people not told, with reasons.
    public var excluded: [Exclusion] = []
    /// People not told beyond those listed.
    public var excludedOmitted = 0

    public init(recipients: [Recipient] = [], excluded: [Exclusion] = []) {
        self.recipients = recipients
        self.excluded = excluded
    }

    /// Recipient user ids, in order.
    public func recipientIDs(in directory: Directory) -> [String] {
        recipients.map { directory.users[$0.user].id }
    }
}
