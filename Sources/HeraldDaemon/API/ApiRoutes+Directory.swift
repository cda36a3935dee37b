import Foundation
import HeraldCore
import HeraldServer

/// `GET /v1/directory/users` (filtered, paged) and `GET /v1/directory/groups/{id}`
/// (resolved members with the path that makes each one a member), read from the
/// directory snapshot in force: config, directory files and SCIM together.
extension ApiRoutes {
    /// Most members one group answer lists; the total is always given.
    static let maxGroupMembersListed = 10_000

    func listDirectoryUsers(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        guard let paging = Paging(request, maximum: ScimHTTP.maxPageSize, respond: respond) else { return }
        let directory = holder.snapshot.config.directory
        var candidates: [Int]? = nil
        if let roleID = request.query["role"] {
            guard let role = directory.role(roleID) else {
                return respond(.error(status: 400, code: "bad_query", message: "no role '\(roleID)'",
                                      details: [(path: "query.role", message: "'\(roleID.prefix(64))' is not a role")]))
            }
            candidates = directory.holders(ofRole: role)
        }
        if let groupID = request.query["group"] {
            guard let group = directory.group(groupID) else {
                return respond(.error(status: 400, code: "bad_query", message: "no group '\(groupID)'",
                                      details: [(path: "query.group", message: "'\(groupID.prefix(64))' is not a group")]))
            }
            let members = directory.members(ofGroup: group).sorted()
            candidates = candidates.map { Array(Set($0).intersection(members)).sorted() } ?? members
        }
        var active: Bool?
        if let text = request.query["active"] {
            guard text == "true" || text == "false" else {
                return respond(.error(status: 400, code: "bad_query", message: "'active' must be true or false",
                                      details: [(path: "query.active", message: "'\(text.prefix(16))' is not true or false")]))
            }
            active = text == "true"
        }
        let needle = request.query["q"]?.lowercased()
        let start = paging.after.map { Int($0) + 1 } ?? 0
        var page: [Int] = []
        var next: Int?
        for u in candidates ?? Array(directory.users.indices) where u >= start {
            let user = directory.users[u]
            if let active, user.active != active { continue }
            if let needle, !(user.id.lowercased().contains(needle) || user.name.lowercased().contains(needle)
                             || (user.contact.email?.lowercased().contains(needle) ?? false)) { continue }
            guard page.count < paging.limit else { next = page.last; break }
            page.append(u)
        }
        respond(Self.json(["users": page.map { DirectoryJSON.summary($0, in: directory) }, "next": next.map { $0 as Any } ?? NSNull()]))
    }

    func directoryGroup(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let id = request.pathParameters["id"] ?? ""
        let directory = holder.snapshot.config.directory
        guard let g = directory.group(id) else {
            return respond(.error(status: 404, code: "unknown_group", message: "no group '\(id)' in the directory"))
        }
        let group = directory.groups[g]
        let members = directory.memberPaths(ofGroup: g)
        let listed = members.prefix(Self.maxGroupMembersListed).map { member -> [String: Any] in
            let user = directory.users[member.user]
            return ["id": user.id, "name": user.name, "active": user.active, "path": member.path]
        }
        var kind = "custom"
        if case .role = group.kind { kind = "role" }
        respond(Self.json(["id": group.id, "name": group.name, "kind": kind,
                           "source": ["kind": group.source.kind, "name": group.source.description],
                           "memberCount": members.count, "members": listed]))
    }
}
