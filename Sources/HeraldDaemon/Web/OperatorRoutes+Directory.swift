import Foundation
import HeraldCore
import HeraldServer
import HeraldWeb

/// `/ui/directory`: find a person (`?q=` id, name or e-mail, as `GET
/// /v1/directory/users?q=`), then `?user=<id>` shows who they are and which rules can
/// reach them (`UserReach`: the resolver's own paths), from the directory in force
/// (config, directory files and SCIM together).
extension OperatorRoutes {
    /// Most people a search lists; more means "type more of the name".
    static let maxDirectoryMatches = 50

    func directory(_ request: HTTPRequest, _ respond: HTTPResponder) {
        guard let session = signedIn(request, respond) else { return }
        let config = holder.snapshot.config
        let directory = config.directory
        let query = (request.query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        var matches: [OperatorPages.DirectoryMatch] = []
        var more = false
        if !query.isEmpty {
            let needle = query.lowercased()
            for user in directory.users where user.id.lowercased().contains(needle) || user.name.lowercased().contains(needle)
                || (user.contact.email?.lowercased().contains(needle) ?? false) {
                guard matches.count < Self.maxDirectoryMatches else { more = true; break }
                matches.append(OperatorPages.DirectoryMatch(id: user.id, name: user.name, active: user.active,
                                                            roles: user.roles.map { directory.roles[$0].name }.joined(separator: ", ")))
            }
        }
        var person: OperatorPages.Person?
        var notice: Notice?
        if let id = request.query["user"] {
            if let u = directory.user(id) {
                person = Self.person(u, config: config, now: Date())
            } else {
                notice = Notice(.warn, "There is no user '\(id)' in the directory.")
            }
        }
        let status = notice == nil ? 200 : 404
        respond(OperatorPages.directory(query: query, matches: matches, more: more, person: person, formToken: formToken(session),
                                        who: session.tokenID, notice: notice).response(status: status))
    }

    /// Everything the page shows about directory user `u`.
    static func person(_ u: Int, config: HeraldConfig, now: Date) -> OperatorPages.Person {
        let directory = config.directory
        let user = directory.users[u]
        var facts: [(String, String)] = [("Id", user.id), ("Name", user.name), ("Active", user.active ? "yes" : "no — told nothing")]
        if user.isOwner { facts.append(("Business owner", "yes")) }
        facts.append(("Defined in", user.source.description))
        if let quiet = user.quietHours {
            let held = quiet.heldUntil(at: now).map { "held now, until \(EpisodeView.readable($0))" } ?? "not now"
            facts.append(("Quiet hours", "\(quiet.timeZone.identifier), \(quiet.windows.count) window(s): \(held) (critical tiers still reach them)"))
        }
        let groups = directory.groups(of: u).map { g -> (String, String) in
            let group = directory.groups[g]
            let path = directory.memberPaths(ofGroup: g).first { $0.user == u }?.path ?? "group:\(group.id)"
            return ("\(group.name) (\(group.id))", path)
        }
        var routes: [(String, String)] = []
        if let email = user.contact.email { routes.append(("e-mail", email)) }
        if let phone = user.contact.phone { routes.append(("phone", phone)) }
        routes += user.contact.addresses.sorted { $0.key < $1.key }.map { ("target \($0.key)", $0.value) }
        routes += user.contact.handles.sorted { $0.key < $1.key }.map { ("\($0.key) handle", $0.value) }
        let reach = UserReach(user: u, config: config)
        var rows = reach.entries.map { e in
            OperatorPages.ReachRow(rule: "\(e.ruleName) (\(e.ruleID))", stage: e.stage,
                                   how: (e.path ?? "left out — \(e.excluded ?? "?")") + (e.needsRelation ? " (when an event names them so)" : ""),
                                   told: e.path != nil)
        }
        rows += reach.mayActOn.compactMap { id in
            config.rule(id: id).map { OperatorPages.ReachRow(rule: "\($0.name) (\(id))", stage: "any episode", how: "may acknowledge and resolve (acknowledgeRights)", told: nil) }
        }
        return OperatorPages.Person(id: user.id, name: user.name, facts: facts, roles: user.roles.map { "\(directory.roles[$0].name) (\(directory.roles[$0].id))" },
                                    groups: groups, rights: directory.rightNames(of: u), routes: routes, reach: rows)
    }
}
