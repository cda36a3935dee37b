/// Turns a tier's selectors and an event into the people to tell.
///
/// Inactive users and users lacking the rule's required rights are excluded with the
/// reason; everyone is told at most once and keeps the first path that selected them.
/// Work is proportional to the audience, not to the directory: selectors walk
/// precomputed holder and membership arrays, and de-duplication uses a bitmap.
public struct RecipientResolver: Sendable {
    public let directory: Directory

    /// Exclusions listed per resolution; the rest are counted. A 10,000-member group
    /// whose members mostly lack a right would otherwise put thousands of records
    /// (hundreds of KB) into every audit row, and building them dominates resolution.
    public static let maxListedExclusions = 100

    public init(directory: Directory) { self.directory = directory }

    /// Resolves `selectors` for `event`; `required` are the rule's required rights.
    public func resolve(_ selectors: [RecipientSelector], requiredRights: [String], event: MetricEvent?) -> Resolution {
        var pass = Pass(directory: directory, required: requiredRights)
        for selector in selectors { pass.apply(selector, event: event) }
        return pass.resolution
    }

    /// One resolution's scratch state.
    private struct Pass {
        let directory: Directory
        let required: RightSet
        /// Required rights by number, to name the first one a user lacks.
        let requiredList: [(Int, String)]
        /// Rights no user can hold because no role or grant mentions them.
        let unknownRequired: String?
        var decided: [UInt64]
        /// Active users holding every required right (empty when a right is unknown).
        let eligible: [UInt64]
        var resolution = Resolution()

        init(directory: Directory, required names: [String]) {
            self.directory = directory
            var set = RightSet()
            var list: [(Int, String)] = []
            var unknown: String?
            for name in names {
                if let number = directory.rights.number(of: name) {
                    set.insert(number)
                    list.append((number, name))
                } else if unknown == nil {
                    unknown = name
                }
            }
            self.required = set
            self.requiredList = list
            self.unknownRequired = unknown
            self.decided = Array(repeating: 0, count: directory.users.count / 64 + 1)
            self.eligible = unknown == nil ? directory.eligible(holding: list.map(\.0)) : decided
        }

        mutating func apply(_ selector: RecipientSelector, event: MetricEvent?) {
            switch selector {
            case .user(let id):
                if let user = directory.user(id) { consider(user, .user) }
            case .role(let id, let andAbove):
                guard let role = directory.role(id) else { return }
                for user in directory.holders[role] { consider(Int(user), .role(role)) }
                guard andAbove else { return }
                for inclusion in directory.includedBy[role] {
                    let path = SelectionPath.roleAbove(selected: role, chain: inclusion.chain)
                    for user in directory.holders[inclusion.role] { consider(Int(user), path) }
                }
            case .group(let id):
                // Never silently nobody: a group missing or empty is named on the notice
                // (which is then unrouted when no other selector reached anyone).
                guard let group = directory.group(id) else {
                    return resolution.excluded.append(Exclusion(user: nil, userID: nil, path: .absentGroup(id), reason: .unknownGroup(id)))
                }
                let members = directory.members[group]
                if members.isEmpty {
                    resolution.excluded.append(Exclusion(user: nil, userID: nil, path: .absentGroup(id), reason: .emptyGroup(id)))
                }
                for member in members { consider(Int(member.user), .group(group, route: member.route)) }
            case .relation(let name):
                applyRelation(name, event: event)
            case .owner:
                consider(directory.ownerIndex, .owner)
            }
        }

        mutating func applyRelation(_ name: String, event: MetricEvent?) {
            guard let id = event?.relations[name] else {
                resolution.excluded.append(Exclusion(user: nil, userID: nil, path: .relation(name), reason: .missingRelation(name)))
                return
            }
            guard let user = directory.user(id) else {
                resolution.excluded.append(Exclusion(user: nil, userID: id, path: .relation(name),
                                                     reason: .unknownRelationUser(relation: name, userID: id)))
                return
            }
            consider(user, .relation(name))
        }

        /// Decides each user once: told, or excluded with the first reason that applies.
        mutating func consider(_ user: Int, _ path: SelectionPath) {
            let word = user >> 6, bit = UInt64(1) << UInt64(user & 63)
            guard decided[word] & bit == 0 else { return }
            decided[word] |= bit
            if eligible[word] & bit != 0 {
                resolution.recipients.append(Recipient(user: user, path: path))
                return
            }
            if resolution.excluded.count >= RecipientResolver.maxListedExclusions {
                resolution.excludedOmitted += 1
                return
            }
            let record = directory.users[user]
            if !record.active {
                resolution.excluded.append(Exclusion(user: user, userID: record.id, path: path, reason: .inactive))
            } else if let unknownRequired {
                resolution.excluded.append(Exclusion(user: user, userID: record.id, path: path, reason: .lacksRight(unknownRequired)))
            } else if !record.rights.isSuperset(of: required) {
                let missing = requiredList.first { !record.rights.contains($0.0) }?.1 ?? "?"
                resolution.excluded.append(Exclusion(user: user, userID: record.id, path: path, reason: .lacksRight(missing)))
            } else {
                resolution.recipients.append(Recipient(user: user, path: path))
            }
        }
    }
}
