import Foundation
import HeraldCore
import HeraldServer
import HeraldStore

/// `/scim/v2/Groups`: list (filter, paging), create, get, replace, PATCH (members add and
/// remove), delete. A group `scim.roleGroups` names gives its member users that role;
/// any other group is a custom group of the directory whose id is the SCIM `id`.
extension ApiRoutes {
    func scimListGroups(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let filter: ScimFilter?
        let attributes: ScimAttributes
        do throws(ScimError) {
            filter = try request.query["filter"].map { (text) throws(ScimError) in try ScimFilter.parse(text) }
            attributes = try ScimHTTP.attributes(request, schemas: [ScimSchema.group])
        } catch {
            return respond(ScimHTTP.error(error))
        }
        let (start, count) = ScimHTTP.paging(request)
        // Entra ID lists groups with excludedAttributes=members: skip building them.
        let withoutMembers = attributes.excludes("members")
        let page: (total: Int, items: [[String: Any]]) = scim.read { directory, _ in
            let matching = directory.groupOrder.compactMap { directory.groups[$0] }.filter { group in
                filter?.matches({ Self.scimValues(group, $0) }, caseExact: { $0 == "id" || $0 == "externalid" }) ?? true
            }
            let items = matching.dropFirst(start - 1).prefix(count).map { group in
                attributes.apply(to: Self.groupObject(group, request: request, withoutMembers: withoutMembers))
            }
            return (matching.count, items)
        }
        respond(ScimHTTP.json(ScimHTTP.list(page.items, total: page.total, start: start)))
    }

    func scimGetGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let attributes: ScimAttributes
        do throws(ScimError) {
            attributes = try ScimHTTP.attributes(request, schemas: [ScimSchema.group])
        } catch {
            return respond(ScimHTTP.error(error))
        }
        guard let group = scim.read({ directory, _ in directory.groups[id] }) else {
            return respond(ScimHTTP.error(.notFound("no SCIM group '\(id)'")))
        }
        let object = Self.groupObject(group, request: request, withoutMembers: attributes.excludes("members"))
        respond(ScimHTTP.json(attributes.apply(to: object), headers: ScimHTTP.headers(group.meta)))
    }

    func scimCreateGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let now = Date()
        let group: ScimGroup
        do throws(ScimError) {
            group = try ScimJSON.group(try ScimHTTP.body(request), id: UUID().uuidString.lowercased(),
                                       meta: ScimMeta(created: now, lastModified: now, version: 1))
        } catch {
            return respond(ScimHTTP.error(error))
        }
        scim.change(kind: "Group", operation: "create", respond: respond) { (directory, config) throws(ScimError) in
            if directory.group(displayName: group.displayName) != nil {
                throw ScimError(status: 409, scimType: "uniqueness", "a group named '\(group.displayName)' exists already")
            }
            let location = ScimHTTP.location(request, "Groups/\(group.id)")
            let answer = ScimHTTP.json(Self.groupObject(group, request: request, withoutMembers: false), status: 201,
                                       headers: ScimHTTP.headers(group.meta, location: location))
            return try proposeGroup(group, operation: "create", request: request, directory: directory, config: config, answer: answer)
        }
    }

    func scimReplaceGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        scimUpdateGroup(request, respond, operation: "replace") { (existing, body) throws(ScimError) in
            try ScimJSON.group(body, id: existing.id, meta: existing.meta)
        }
    }

    func scimPatchGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        scimUpdateGroup(request, respond, operation: "patch") { (existing, body) throws(ScimError) in
            try ScimPatch(body).apply(to: existing)
        }
    }

    /// DELETE: the group is gone; groups that nested it lose it as a member, its
    /// role-group members lose the role.
    func scimDeleteGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        scim.change(kind: "Group", operation: "delete", respond: respond) { (directory, _) throws(ScimError) in
            guard let existing = directory.groups[id] else { throw .notFound("no SCIM group '\(id)'") }
            try ScimHTTP.checkVersion(request, existing.meta)
            let now = Date()
            var parents = directory.parents(of: id)
            for i in parents.indices {
                parents[i].members.removeAll { $0.kind == .group && $0.value == id }
                parents[i].meta.version += 1
                parents[i].meta.lastModified = now
            }
            var changes = parents.filter { directory.role(of: $0) == nil }.map { DirectoryChange.putGroup(directory.definition(of: $0)) }
            changes += directory.changes(group: id, becoming: nil)
            let upserts = parents.map { parent in
                ScimResourceRecord(kind: "Group", id: parent.id,
                                   body: ExplanationRenderer.serialize(Self.groupObject(parent, request: request, withoutMembers: false)),
                                   updatedAt: now)
            }
            let record = ScimChangeRecord(upserts: upserts, deletes: [(kind: "Group", id: id)],
                                          audit: DirectoryAuditRecord(at: now, actor: scimActor(request), operation: "delete", kind: "Group",
                                                                      resourceID: id, detail: Data("{}".utf8)))
            return ScimProposal(changes: changes, record: record, commit: { scim in
                for parent in parents { scim.store(parent) }
                scim.removeGroup(id)
            }, answer: HTTPResponse(status: 204))
        }
    }

    private func scimUpdateGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder, operation: String,
                                 _ update: (ScimGroup, JSONValue) throws(ScimError) -> ScimGroup) {
        let id = request.pathParameters["id"] ?? ""
        let body: JSONValue
        do throws(ScimError) {
            body = try ScimHTTP.body(request)
        } catch {
            return respond(ScimHTTP.error(error))
        }
        scim.change(kind: "Group", operation: operation, respond: respond) { (directory, config) throws(ScimError) in
            guard let existing = directory.groups[id] else { throw .notFound("no SCIM group '\(id)'") }
            try ScimHTTP.checkVersion(request, existing.meta)
            var group = try update(existing, body)
            group.id = id
            if let other = directory.group(displayName: group.displayName), other.id != id {
                throw ScimError(status: 409, scimType: "uniqueness", "a group named '\(group.displayName)' exists already")
            }
            group.meta = ScimMeta(created: existing.meta.created, lastModified: Date(), version: existing.meta.version + 1)
            // PATCH may answer 204; SCIM clients are happier with the resource.
            let answer = ScimHTTP.json(Self.groupObject(group, request: request, withoutMembers: false), headers: ScimHTTP.headers(group.meta))
            return try proposeGroup(group, operation: operation, request: request, directory: directory, config: config, answer: answer)
        }
    }

    private func proposeGroup(_ group: ScimGroup, operation: String, request: HTTPRequest, directory: ScimDirectory,
                              config: HeraldConfig, answer: HTTPResponse) throws(ScimError) -> ScimProposal {
        if let role = directory.role(of: group) { try Self.checkRoleGroupMembers(group, role: role, directory: directory, config: config) }
        let body = ExplanationRenderer.serialize(Self.groupObject(group, request: request, withoutMembers: false))
        let now = Date()
        let record = ScimChangeRecord(upserts: [ScimResourceRecord(kind: "Group", id: group.id, body: body, updatedAt: now)],
                                      audit: DirectoryAuditRecord(at: now, actor: scimActor(request), operation: operation, kind: "Group",
                                                                  resourceID: group.id, detail: body))
        return ScimProposal(changes: directory.changes(group: group.id, becoming: group), record: record,
                            commit: { $0.store(group) }, answer: answer)
    }

    /// A role group gives its members a role, so its members must be SCIM users: a user
    /// from the config or a file gets roles from there (409 naming where), and nested
    /// groups would hand a role on through membership nobody sees (400).
    static func checkRoleGroupMembers(_ group: ScimGroup, role: String, directory: ScimDirectory, config: HeraldConfig) throws(ScimError) {
        for member in group.members {
            guard member.kind == .user else {
                throw .invalidValue("group '\(group.displayName)' gives the role '\(role)' (scim.roleGroups), so its members must be users, not group '\(member.value)'")
            }
            guard let user = directory.users[member.value], !user.deleted else {
                if let u = config.directory.user(member.value) {
                    let source = config.directory.users[u].source
                    throw ScimError(status: 409, scimType: "uniqueness", "user '\(member.value)' is defined in \(source); its roles cannot be changed through SCIM")
                }
                throw .invalidValue("undefined user '\(member.value)'")
            }
        }
    }

    static func groupObject(_ group: ScimGroup, request: HTTPRequest, withoutMembers: Bool) -> [String: Any] {
        var object = ScimJSON.object(group, location: ScimHTTP.location(request, "Groups/\(group.id)"))
        if withoutMembers { object["members"] = nil }
        return object
    }

    static func scimValues(_ group: ScimGroup, _ path: String) -> [ScimFilter.Literal] {
        switch path {
        case "id": [.string(group.id)]
        case "displayname": [.string(group.displayName)]
        case "externalid": group.externalId.map { [.string($0)] } ?? []
        case "members", "members.value": group.members.map { .string($0.value) }
        default: []
        }
    }
}
