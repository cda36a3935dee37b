import Foundation
import HeraldCore
import HeraldServer
import HeraldStore

/// `/scim/v2/Users` (RFC 7644): list with `filter` and paging, create, get, replace
/// (PUT), PATCH, and DELETE, which deactivates. A user's SCIM `id` is its `userName`,
/// Herald's user id. Every change goes through `ScimService` (checked, stored, swapped).
extension ApiRoutes {
    func scimListUsers(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let filter: ScimFilter?
        let attributes: ScimAttributes
        do throws(ScimError) {
            filter = try request.query["filter"].map { (text) throws(ScimError) in try ScimFilter.parse(text) }
            attributes = try ScimHTTP.attributes(request, schemas: [ScimSchema.user, ScimSchema.heraldUser])
        } catch {
            return respond(ScimHTTP.error(error))
        }
        let (start, count) = ScimHTTP.paging(request)
        let page: (total: Int, items: [[String: Any]]) = scim.read { directory, _ in
            let matching: [ScimUser]
            if let (path, value) = filter?.equality, path == "username" || path == "id" {
                // The common IdP question ("does this user exist?") is one lookup.
                matching = (directory.users[value] ?? directory.users.values.first { $0.userName.lowercased() == value.lowercased() })
                    .map { [$0] } ?? []
            } else if let (path, value) = filter?.equality, path == "externalid" {
                matching = directory.user(externalID: value).map { [$0] } ?? []
            } else {
                matching = directory.userOrder.compactMap { directory.users[$0] }.filter { user in
                    filter?.matches({ Self.scimValues(user, $0) }, caseExact: { $0 == "id" || $0 == "externalid" }) ?? true
                }
            }
            let visible = matching.filter { !$0.deleted }
            let slice = visible.dropFirst(start - 1).prefix(count)
            return (visible.count, slice.map { attributes.apply(to: ScimJSON.object($0, location: ScimHTTP.location(request, "Users/\($0.id)"))) })
        }
        respond(ScimHTTP.json(ScimHTTP.list(page.items, total: page.total, start: start)))
    }

    func scimGetUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let attributes: ScimAttributes
        do throws(ScimError) {
            attributes = try ScimHTTP.attributes(request, schemas: [ScimSchema.user, ScimSchema.heraldUser])
        } catch {
            return respond(ScimHTTP.error(error))
        }
        guard let user = scim.read({ directory, _ in directory.users[id] }), !user.deleted else {
            return respond(ScimHTTP.error(.notFound("no SCIM user '\(id)'")))
        }
        respond(ScimHTTP.json(attributes.apply(to: ScimJSON.object(user, location: ScimHTTP.location(request, "Users/\(id)"))),
                              headers: ScimHTTP.headers(user.meta)))
    }

    func scimCreateUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let now = Date()
        let parsed: ScimUser
        do throws(ScimError) {
            parsed = try ScimJSON.user(try ScimHTTP.body(request), meta: ScimMeta(created: now, lastModified: now, version: 1))
        } catch {
            return respond(ScimHTTP.error(error))
        }
        scim.change(kind: "User", operation: "create", respond: respond) { (directory, config) throws(ScimError) in
            var user = parsed
            user.deleted = false
            if let existing = directory.users[user.id] {
                guard existing.deleted else { throw ScimError(status: 409, scimType: "uniqueness", "a user with userName '\(user.id)' exists already") }
                user.meta.version = existing.meta.version + 1
            }
            if directory.users[user.id] == nil, directory.userOrder.count >= config.document.scim.maxUsers {
                throw ScimError(status: 400, scimType: "invalidValue", "Herald keeps at most \(config.document.scim.maxUsers) SCIM users (scim.maxUsers)")
            }
            let location = ScimHTTP.location(request, "Users/\(user.id)")
            let answer = ScimHTTP.json(ScimJSON.object(user, location: location), status: 201, headers: ScimHTTP.headers(user.meta, location: location))
            return proposeUser(user, operation: "create", request: request, directory: directory, answer: answer)
        }
    }

    func scimReplaceUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        scimUpdateUser(request, respond, operation: "replace") { (existing, body) throws(ScimError) in
            var user = try ScimJSON.user(body, meta: existing.meta)
            guard user.userName == existing.userName else {
                throw ScimError(status: 400, scimType: "mutability", "'userName' is Herald's user id and cannot change ('\(existing.userName)')")
            }
            user.deleted = false
            return user
        }
    }

    func scimPatchUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        scimUpdateUser(request, respond, operation: "patch") { (existing, body) throws(ScimError) in
            try ScimPatch(body).apply(to: existing)
        }
    }

    /// DELETE: the user becomes inactive (still in Herald's directory and audit trail)
    /// and SCIM answers 404 for it from now on.
    func scimDeleteUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        scim.change(kind: "User", operation: "delete", respond: respond) { (directory, _) throws(ScimError) in
            guard var user = directory.users[id], !user.deleted else { throw .notFound("no SCIM user '\(id)'") }
            try ScimHTTP.checkVersion(request, user.meta)
            user.active = false
            user.deleted = true
            user.meta.version += 1
            user.meta.lastModified = Date()
            return proposeUser(user, operation: "delete", request: request, directory: directory, answer: HTTPResponse(status: 204))
        }
    }

    /// PUT and PATCH: the stored user, the client's version check, the new user.
    private func scimUpdateUser(_ request: HTTPRequest, _ respond: @escaping HTTPResponder, operation: String,
                                _ update: (ScimUser, JSONValue) throws(ScimError) -> ScimUser) {
        let id = request.pathParameters["id"] ?? ""
        let body: JSONValue
        do throws(ScimError) {
            body = try ScimHTTP.body(request)
        } catch {
            return respond(ScimHTTP.error(error))
        }
        scim.change(kind: "User", operation: operation, respond: respond) { (directory, _) throws(ScimError) in
            guard let existing = directory.users[id], !existing.deleted else { throw .notFound("no SCIM user '\(id)'") }
            try ScimHTTP.checkVersion(request, existing.meta)
            var user = try update(existing, body)
            user.meta = ScimMeta(created: existing.meta.created, lastModified: Date(), version: existing.meta.version + 1)
            let answer = ScimHTTP.json(ScimJSON.object(user, location: ScimHTTP.location(request, "Users/\(id)")), headers: ScimHTTP.headers(user.meta))
            return proposeUser(user, operation: operation, request: request, directory: directory, answer: answer)
        }
    }

    private func proposeUser(_ user: ScimUser, operation: String, request: HTTPRequest, directory: ScimDirectory,
                             answer: HTTPResponse) -> ScimProposal {
        let body = ExplanationRenderer.serialize(ScimJSON.object(user, location: ScimHTTP.location(request, "Users/\(user.id)")))
        let now = Date()
        let record = ScimChangeRecord(upserts: [ScimResourceRecord(kind: "User", id: user.id, body: body, updatedAt: now)],
                                      audit: DirectoryAuditRecord(at: now, actor: scimActor(request), operation: operation, kind: "User",
                                                                  resourceID: user.id, detail: body))
        return ScimProposal(changes: directory.changes(putting: user), record: record, commit: { $0.store(user) }, answer: answer)
    }

    /// The id of the token that made the request, for the audit record.
    func scimActor(_ request: HTTPRequest) -> String {
        Self.bearerToken(request).flatMap { holder.snapshot.tokens.tokenID(for: $0, preferring: Scope.directoryWrite) } ?? "unknown"
    }

    /// The values of a (lower-cased) attribute path, for filters.
    static func scimValues(_ user: ScimUser, _ path: String) -> [ScimFilter.Literal] {
        switch path {
        case "id", "username": [.string(user.userName)]
        case "externalid": user.externalId.map { [.string($0)] } ?? []
        case "active": [.bool(user.active)]
        case "displayname": user.displayName.map { [.string($0)] } ?? []
        case "emails", "emails.value": user.emails.map { .string($0.value) }
        case "phonenumbers", "phonenumbers.value": user.phoneNumbers.map { .string($0.value) }
        case "roles", "roles.value": user.roles.map { .string($0.value) }
        case "name.givenname": user.name.givenName.map { [.string($0)] } ?? []
        case "name.familyname": user.name.familyName.map { [.string($0)] } ?? []
        case "name.formatted": user.name.formatted.map { [.string($0)] } ?? []
        default: []
        }
    }
}
