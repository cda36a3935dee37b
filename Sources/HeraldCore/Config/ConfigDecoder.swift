/// Turns a parsed config tree into a `ConfigDocument`, collecting every error with its
/// JSON path instead of stopping at the first.
///
/// Ids are collected before the sections are read so every reference (user → group,
/// rule → role/group/target, …) is checked where it is written.
struct ConfigDecoder {
    let diagnostics: ConfigDiagnostics
    var roleIDs: Set<String> = []
    var userIDs: Set<String> = []
    var groupIDs: Set<String> = []
    /// Custom groups SCIM provides under ids the config declares (`scim.groups`): rules
    /// may notify them although no file defines them.
    var scimGroupIDs: Set<String> = []
    /// The config has a `scim` section (refusals then mention `scim.groups`).
    var hasScimSection = false
    var targetIDs: Set<String> = []
    /// Per-recipient targets POST to a user's own address, which must then be a URL; on
    /// batch targets an address is only listed in the payload (a phone number, a handle).
    var perRecipientTargets: Set<String> = []
    /// Rights some role recommends or allows or some user is granted (wildcards kept):
    /// a rule's rights must be among them (see `ConfigDecoder+Rights`).
    var declaredRights: Set<String> = []
    /// Reads the files `directory.files` names (the caller's I/O).
    let readFiles: DirectoryFileReader
    /// Directory files read so far, in order; an element's marked path holds the index.
    var directoryFiles: [DirectoryFile] = []

    init(diagnostics: ConfigDiagnostics, readFiles: @escaping DirectoryFileReader = DirectoryFileLookup.noFiles) {
        self.diagnostics = diagnostics
        self.readFiles = readFiles
    }

    /// Top-level keys, in the order the schema documents them.
    mutating func decode(_ root: JSONValue) -> ConfigDocument? {
        guard var top = ObjectReader(root, at: .root, diagnostics) else { return nil }
        _ = top.raw("version")
        let rolesJSON = top.array("roles")
        var directoryJSON = top.object("directory")
        var usersJSON = top.array("users", required: directoryJSON == nil) ?? []
        var groupsJSON = top.array("groups") ?? []
        if directoryJSON != nil {
            let fromFiles = decodeDirectoryFiles(&directoryJSON!)
            usersJSON += fromFiles.users
            groupsJSON += fromFiles.groups
        }
        let scimJSON = top.object("scim")
        let targetsJSON = top.array("targets") ?? []
        let rulesJSON = top.array("rules") ?? []
        let defaultRoleJSON = top.string("defaultRole")
        let serverJSON = top.object("server")
        let bridgesJSON = top.object("bridges")
        let storeJSON = top.object("store")
        top.finish()

        let roles = rolesJSON.map { decodeRoles($0) } ?? RoleDefinition.defaults
        roleIDs = Set(roles.map(\.id))
        let defaultRole = resolveDefaultRole(defaultRoleJSON, declared: rolesJSON != nil, roles: roles)
        userIDs = collectIDs(usersJSON, kind: "user")
        groupIDs = collectIDs(groupsJSON, kind: "group")
        targetIDs = collectIDs(targetsJSON, kind: "target")
        checkGroupIDsAgainstRoles(groupsJSON)

        let targets = targetsJSON.compactMap { decodeTarget($1, at: $0) }
        perRecipientTargets = Set(targets.filter { $0.mode == .perRecipient }.map(\.id))
        let users = usersJSON.compactMap { decodeUser($1, at: $0, roles: roles) }
        let groups = groupsJSON.compactMap { decodeGroup($1, at: $0) }
        declaredRights = Self.declaredRights(roles: roles, users: users)
        // Before the rules: a rule may notify a group that SCIM provides (`scim.groups`).
        var scim = ScimSettings()
        if var scimJSON { scim = decodeScim(&scimJSON) }
        hasScimSection = scimJSON != nil
        scimGroupIDs = Set(scim.groups.values)
        let rules = decodeRules(rulesJSON)
        var server = ServerSettings()
        if var serverJSON { server = decodeServer(&serverJSON) }
        var bridges = BridgeSettings()
        if var bridgesJSON { bridges = decodeBridges(&bridgesJSON) }

        checkOwner(users, usersJSON)
        checkRightsCopies(users, usersJSON)
        checkGroupCycles(groups, groupsJSON)
        var document = ConfigDocument(roles: roles, defaultRole: defaultRole, users: users, groups: groups,
                                      targets: targets, rules: rules, server: server)
        document.scim = scim
        document.bridges = bridges
        if var storeJSON { document.store = decodeStore(&storeJSON) }
        if users.count == usersJSON.count { document.userPaths.paths = usersJSON.map(\.0) }
        return document
    }

    private func resolveDefaultRole(_ written: String?, declared: Bool, roles: [RoleDefinition]) -> String {
        if let written {
            if !roleIDs.contains(written) {
                diagnostics.error("dangling_reference", JSONPath.root.appending("defaultRole"),
                                  "undefined role '\(written)'\(Suggestion.hint(for: written, in: roleIDs))")
            }
            return written
        }
        if declared {
            diagnostics.error("missing_key", JSONPath.root.appending("defaultRole"),
                              "missing required key 'defaultRole' (needed when 'roles' is declared: users without roles get it)")
            return roles.last?.id ?? RoleDefinition.defaultRoleID
        }
        return RoleDefinition.defaultRoleID
    }

    /// Reads the `id` of every element and reports duplicates; used before decoding so
    /// references can be checked in any order.
    func collectIDs(_ items: [(JSONPath, JSONValue)], kind: String) -> Set<String> {
        var seen: [String: JSONPath] = [:]
        for (path, item) in items {
            guard case .object(let members) = item, case .string(let id)? = members["id"], !id.isEmpty else { continue }
            if let first = seen[id] {
                diagnostics.error("duplicate_id", path.appending("id"), "duplicate \(kind) id '\(id)' (first defined at \(place(first)))")
            } else {
                seen[id] = path
            }
        }
        return Set(seen.keys)
    }

    /// Role-derived groups share the group namespace: a custom group may not take a
    /// role's id, because role groups follow their role and cannot be edited by hand.
    private func checkGroupIDsAgainstRoles(_ groups: [(JSONPath, JSONValue)]) {
        for (path, item) in groups {
            guard case .object(let members) = item, case .string(let id)? = members["id"], roleIDs.contains(id) else { continue }
            diagnostics.error("role_group_edited", path.appending("id"),
                              "group '\(id)' is the role-derived group of role '\(id)'; its members follow the role and cannot be edited by hand")
        }
    }

    /// Checks a reference to a known id and reports it with a suggestion.
    func reference(_ id: String, kind: String, known: Set<String>, at path: JSONPath) -> Bool {
        if known.contains(id) { return true }
        diagnostics.error("dangling_reference", path, "undefined \(kind) '\(id)'\(Suggestion.hint(for: id, in: known))")
        return false
    }

    /// Reads the element's `id`, which must be a non-empty string from the safe id
    /// alphabet (`SafeID`; users' ids may also hold '@' and '/'). An id outside it is
    /// reported at its path and still returned, so the rest of the element is checked too.
    func elementID(_ reader: inout ObjectReader, kind: String) -> String? {
        guard let id = reader.string("id", required: true) else { return nil }
        let safe = kind == "user" ? SafeID.isSafeUserID(id) : SafeID.isSafe(id)
        if !safe {
            diagnostics.error("bad_id", reader.path.appending("id"),
                              "\(kind) id '\(id.prefix(SafeID.maxLength))' \(kind == "user" ? SafeID.userRule : SafeID.rule)")
        }
        return id
    }
}
