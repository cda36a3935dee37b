/// Roles, users and groups: the directory half of the config.
extension ConfigDecoder {
    mutating func decodeRoles(_ items: [(JSONPath, JSONValue)]) -> [RoleDefinition] {
        let declared = Set(items.compactMap { _, item -> String? in
            if case .object(let m) = item, case .string(let id)? = m["id"] { return id }
            return nil
        })
        _ = collectIDs(items, kind: "role")
        if items.isEmpty { diagnostics.error("empty_value", JSONPath.root.appending("roles"), "'roles' must declare at least one role") }
        var roles: [RoleDefinition] = []
        for (path, item) in items {
            guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "role") else { continue }
            let inherits = reader.strings("inherits").filter { reference($1, kind: "role", known: declared, at: $0) }.map(\.1)
            let role = RoleDefinition(id: id, name: reader.string("name"), inherits: inherits,
                                      recommendedRights: reader.strings("recommendedRights").map(\.1),
                                      additionalRights: reader.strings("additionalRights").map(\.1))
            reader.finish()
            roles.append(role)
        }
        checkRoleCycles(roles, items)
        return roles
    }

    private func checkRoleCycles(_ roles: [RoleDefinition], _ items: [(JSONPath, JSONValue)]) {
        let edges = Dictionary(roles.map { ($0.id, $0.inherits) }, uniquingKeysWith: { a, _ in a })
        if let cycle = CycleFinder.firstCycle(nodes: roles.map(\.id), edges: edges) {
            let index = roles.firstIndex { $0.id == cycle[0] } ?? 0
            diagnostics.error("cycle", JSONPath.root.appending("roles").appending(index).appending("inherits"),
                              "role inheritance cycle \(cycle.map { "'\($0)'" }.joined(separator: " ⊇ "))")
        }
    }

    mutating func decodeUser(_ item: JSONValue, at path: JSONPath, roles: [RoleDefinition]) -> UserDefinition? {
        guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "user") else { return nil }
        let userRoles = reader.strings("roles").filter { reference($1, kind: "role", known: roleIDs, at: $0) }.map(\.1)
        var groups: [String] = []
        for (groupPath, group) in reader.strings("groups") {
            if roleIDs.contains(group) {
                diagnostics.error("role_group_edited", groupPath,
                                  "group '\(group)' is derived from role '\(group)'; give the user the role instead")
            } else if reference(group, kind: "group", known: groupIDs, at: groupPath) {
                groups.append(group)
            }
        }
        var granted: [String] = []
        var revoked: [String] = []
        if var rights = reader.object("rights") {
            granted = rights.strings("grant").map(\.1)
            revoked = rights.strings("revoke").map(\.1)
            rights.finish()
        }
        var copyFrom: String?
        if let source = reader.string("copyRightsFrom"),
           reference(source, kind: "user", known: userIDs, at: path.appending("copyRightsFrom")) {
            copyFrom = source
        }
        let contact = decodeContact(&reader, at: path)
        let quietHours = decodeQuietHours(&reader, at: path)
        var user = UserDefinition(id: id, name: reader.string("name"), contact: contact, active: reader.bool("active") ?? true,
                                  roles: userRoles, groups: groups, grantedRights: granted, revokedRights: revoked,
                                  copyRightsFrom: copyFrom, isOwner: reader.bool("owner") ?? false, quietHours: quietHours)
        user.source = source(of: path)
        reader.finish()
        return user
    }

    private mutating func decodeContact(_ reader: inout ObjectReader, at path: JSONPath) -> Contact {
        guard var contact = reader.object("contact") else { return Contact() }
        let addresses = contact.stringMap("addresses")
        for target in addresses.keys.sorted() {
            let addressPath = path.appending("contact").appending("addresses").appending(target)
            if reference(target, kind: "target", known: targetIDs, at: addressPath), perRecipientTargets.contains(target) {
                checkURL(addresses[target]!, at: addressPath)
            }
        }
        var handles: [String: String] = [:]
        for field in ChannelFormat.allCases.compactMap(\.contactField) {
            if let handle = optionalText(&contact, field) { handles[field] = handle }
        }
        let result = Contact(email: contact.string("email"), phone: contact.string("phone"), addresses: addresses, handles: handles)
        contact.finish()
        return result
    }

    mutating func decodeGroup(_ item: JSONValue, at path: JSONPath) -> GroupDefinition? {
        guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "group") else { return nil }
        let members = reader.strings("members").filter { reference($1, kind: "user", known: userIDs, at: $0) }.map(\.1)
        let nested = reader.strings("groups").filter { groupPath, group in
            roleIDs.contains(group) || reference(group, kind: "group", known: groupIDs, at: groupPath)
        }.map(\.1)
        let roles = reader.strings("roles").filter { reference($1, kind: "role", known: roleIDs, at: $0) }.map(\.1)
        var channel: GroupChannel?
        if var channelReader = reader.object("channel") {
            if let target = channelReader.string("target", required: true),
               reference(target, kind: "target", known: targetIDs, at: path.appending("channel").appending("target")) {
                let address = channelReader.string("address")
                if let address { checkURL(address, at: path.appending("channel").appending("address")) }
                channel = GroupChannel(target: target, address: address)
            }
            channelReader.finish()
        }
        var group = GroupDefinition(id: id, name: reader.string("name"), members: members, groups: nested, roles: roles, channel: channel)
        group.source = source(of: path)
        reader.finish()
        return group
    }

    /// Where an element was written: the config itself or one of its directory files.
    func source(of path: JSONPath) -> DirectorySource {
        guard let (file, _) = DirectoryFileMarker.split(path), file < directoryFiles.count else { return .config }
        return .file(directoryFiles[file].name)
    }

    /// Exactly one business owner, and the owner cannot be inactive (seed 003).
    func checkOwner(_ users: [UserDefinition], _ items: [(JSONPath, JSONValue)]) {
        let owners = users.filter(\.isOwner)
        if owners.isEmpty {
            diagnostics.error("owner_missing", JSONPath.root.appending("users"),
                              "no business owner: mark exactly one user with \"owner\": true")
        }
        for (index, user) in users.enumerated() where user.isOwner {
            let path = userPath(user.id, items) ?? JSONPath.root.appending("users").appending(index)
            if user.id != owners.first?.id {
                diagnostics.error("owner_duplicate", path.appending("owner"),
                                  "second business owner '\(user.id)' (the owner is already '\(owners[0].id)')")
            }
            if !user.active {
                diagnostics.error("owner_inactive", path.appending("active"), "the business owner '\(user.id)' cannot be inactive")
            }
        }
    }

    /// The path of the element with this id (a user or a group), wherever it was written.
    func userPath(_ id: String, _ items: [(JSONPath, JSONValue)]) -> JSONPath? {
        items.first { _, item in
            if case .object(let m) = item, case .string(id)? = m["id"] { return true }
            return false
        }?.0
    }

    /// `copyRightsFrom` chains must end; a cycle has no defined result.
    func checkRightsCopies(_ users: [UserDefinition], _ items: [(JSONPath, JSONValue)]) {
        let edges = Dictionary(users.map { ($0.id, $0.copyRightsFrom.map { [$0] } ?? []) }, uniquingKeysWith: { a, _ in a })
        if let cycle = CycleFinder.firstCycle(nodes: users.map(\.id), edges: edges) {
            let index = users.firstIndex { $0.id == cycle[0] } ?? 0
            let path = userPath(cycle[0], items) ?? JSONPath.root.appending("users").appending(index)
            diagnostics.error("cycle", path.appending("copyRightsFrom"),
                              "copyRightsFrom cycle \(cycle.map { "'\($0)'" }.joined(separator: " → "))")
        }
    }

    func checkGroupCycles(_ groups: [GroupDefinition], _ items: [(JSONPath, JSONValue)]) {
        let edges = Dictionary(groups.map { ($0.id, $0.groups) }, uniquingKeysWith: { a, _ in a })
        if let cycle = CycleFinder.firstCycle(nodes: groups.map(\.id), edges: edges) {
            let index = groups.firstIndex { $0.id == cycle[0] } ?? 0
            let path = userPath(cycle[0], items) ?? JSONPath.root.appending("groups").appending(index)
            diagnostics.error("cycle", path.appending("groups"),
                              "group cycle \(cycle.map { "'\($0)'" }.joined(separator: " → "))")
        }
    }
}

/// Finds a cycle in a directed graph given as adjacency lists (iterative DFS, so a deep
/// chain of 100,000 nested groups cannot overflow the stack).
enum CycleFinder {
    /// The first cycle found, as the node ids along it with the first repeated at the end.
    static func firstCycle(nodes: [String], edges: [String: [String]]) -> [String]? {
        var state: [String: UInt8] = [:]   // 1 = on stack, 2 = done
        for start in nodes where state[start] == nil {
            var stack: [(node: String, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let children = edges[top.node] ?? []
                if top.next < children.count {
                    stack[stack.count - 1].next += 1
                    let child = children[top.next]
                    switch state[child] {
                    case 1:
                        let from = stack.firstIndex { $0.node == child }!
                        return stack[from...].map(\.node) + [child]
                    case nil where edges[child] != nil:
                        state[child] = 1
                        stack.append((child, 0))
                    default:
                        break
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }
}
