import Foundation
import Testing
import HeraldTestKit

/// SCIM 2.0 through the real binary: users and role groups provisioned over HTTP change
/// who is notified, refusals come in SCIM's error format, and a change answered 201
/// survives kill -9.
struct ScimAcceptanceTests {
    static let idpToken = "scim-idp-token-4f1d8e"
    static let opsToken = "scim-ops-token-92ab3c"

    static let config = """
    {"users": [{"id": "owner", "owner": true}, {"id": "cfg-user", "roles": ["manager"]}],
     "scim": {"roleGroups": {"Herald Managers": "manager"}},
     "rules": [{"id": "load", "metric": "load", "tiers": [{"threshold": 10, "notify": [{"role": "manager"}, {"owner": true}]}]}],
     "server": {"listen": "127.0.0.1:0", "tokens": [
       {"id": "idp", "env": "SCIM_TOKEN", "scopes": ["directory:write"]},
       {"id": "ops", "env": "OPS_TOKEN", "scopes": ["events:write", "read"]}]}}
    """

    static func start() throws -> HeraldProcess {
        try HeraldProcess(config: config, environment: ["SCIM_TOKEN": idpToken, "OPS_TOKEN": opsToken])
    }

    static func scim(_ herald: HeraldProcess, _ method: String, _ path: String, _ body: String? = nil,
                     headers: [String: String] = [:], token: String = idpToken) throws -> HTTPClient.Response {
        try HTTPClient.send(method, herald.url("/scim/v2/" + path), body: body.map { Data($0.utf8) }, token: token,
                            contentType: "application/scim+json", headers: headers)
    }

    /// Fires the rule for `subject` and returns who the notification names, sorted.
    static func notified(_ herald: HeraldProcess, subject: String) throws -> [String] {
        let event = #"{"metric": "load", "value": 20, "subject": {"id": "\#(subject)"}}"#
        let posted = try HTTPClient.post(herald.url("/v1/events"), json: event, token: opsToken)
        guard posted.status == 202 else { throw ApiTestFailure("event answered \(posted.status): \(posted.text)") }
        var entries: [[String: Any]] = []
        _ = Poll.until(timeout: 5) {
            entries = (try? HTTPClient.get(herald.url("/v1/notifications?subject=\(subject)"), token: opsToken).json["notifications"] as? [[String: Any]]) ?? []
            return !entries.isEmpty
        }
        return (entries.first?["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }.sorted()
    }

    @Test func provisionedUsersAndRoleGroupsDecideWhoIsNotified() throws {
        let herald = try Self.start()
        defer { _ = herald.stop() }
        let ann = try Self.scim(herald, "POST", "Users", #"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@example.org", "name": {"givenName": "Ann", "familyName": "Archer"}, "emails": [{"value": "ann@example.org", "primary": true}]}"#)
        #expect(ann.status == 201, "\(ann.text)")
        #expect(ann.header("ETag") == #"W/"1""#)
        #expect(ann.header("Content-Type") == "application/scim+json")
        #expect(ann.header("Location")?.hasSuffix("/scim/v2/Users/ann@example.org") == true)
        let bob = try Self.scim(herald, "POST", "Users", #"{"userName": "bob@example.org", "roles": [{"value": "manager"}]}"#)
        #expect(bob.status == 201, "\(bob.text)")
        #expect(try Self.notified(herald, subject: "p-1") == ["bob@example.org", "cfg-user", "owner"])

        // Ann joins the group that gives the manager role; Bob is deactivated.
        let group = try Self.scim(herald, "POST", "Groups", #"{"displayName": "Herald Managers", "members": [{"value": "ann@example.org"}]}"#)
        #expect(group.status == 201, "\(group.text)")
        let groupID = try #require(group.json["id"] as? String)
        let off = try Self.scim(herald, "PATCH", "Users/bob@example.org", #"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}"#)
        #expect(off.status == 200, "\(off.text)")
        #expect(off.json["active"] as? Bool == false)
        #expect(try Self.notified(herald, subject: "p-2") == ["ann@example.org", "cfg-user", "owner"])
        // explain (the daemon's, with the live directory) says where each recipient comes from.
        let explained = try HTTPClient.post(herald.url("/v1/explain"), json: #"{"metric": "load", "value": 20, "subject": {"id": "x-1"}}"#, token: Self.opsToken)
        let notice = ((explained.json["steps"] as? [[String: Any]])?.first?["rules"] as? [[String: Any]])?.first?["notifications"] as? [[String: Any]]
        #expect(notice?.first?["recipientSources"] as? [String: String] == ["ann@example.org": "scim"], "\(explained.text)")


        // Ann leaves the group: she is no longer a manager.
        let moved = try Self.scim(herald, "PATCH", "Groups/\(groupID)", #"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "remove", "path": "members[value eq \"ann@example.org\"]"}]}"#)
        #expect(moved.status == 200, "\(moved.text)")
        #expect(try Self.notified(herald, subject: "p-3") == ["cfg-user", "owner"])

        // Lists, filters and the directory API see the same users.
        let listed = try Self.scim(herald, "GET", "Users?filter=" + "userName eq \"ann@example.org\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(listed.json["totalResults"] as? Int == 1)
        let directory = try HTTPClient.get(herald.url("/v1/directory/users/ann@example.org"), token: Self.opsToken)
        #expect(directory.json["source"] as? [String: String] == ["kind": "scim", "name": "scim"])
        #expect(directory.json["name"] as? String == "Ann Archer")

        // The read API: managers now, and the role group's members with why.
        let managers = try HTTPClient.get(herald.url("/v1/directory/users?role=manager"), token: Self.opsToken)
        #expect((managers.json["users"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["cfg-user", "bob@example.org"])
        let inactive = try HTTPClient.get(herald.url("/v1/directory/users?active=false&q=BOB"), token: Self.opsToken)
        #expect((inactive.json["users"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["bob@example.org"])
        let page = try HTTPClient.get(herald.url("/v1/directory/users?limit=2"), token: Self.opsToken)
        #expect(page.json["next"] as? Int == 1)
        let roleGroup = try HTTPClient.get(herald.url("/v1/directory/groups/manager"), token: Self.opsToken)
        #expect((roleGroup.json["members"] as? [[String: Any]])?.compactMap { $0["path"] as? String } == ["group:manager", "group:manager"])
        #expect(roleGroup.json["memberCount"] as? Int == 2)
    }

    /// Each refusal, in SCIM's error format with its scimType and a detail naming the value.
    @Test func refusalsUseTheScimErrorFormat() throws {
        let herald = try Self.start()
        defer { _ = herald.stop() }
        let cases: [(String, String, String?, Int, String?, String)] = [
            ("POST", "Users", #"{"userName": "x", "roles": [{"value": "mangaer"}]}"#, 400, "invalidValue", "undefined role 'mangaer' (did you mean 'manager'?)"),
            ("POST", "Users", #"{"userName": "cfg-user"}"#, 409, "uniqueness", "user 'cfg-user' is defined in config and cannot be changed here"),
            ("POST", "Users", #"{"userName": "y", "urn:herald:params:scim:schemas:extension:herald:2.0:User": {"owner": true}}"#, 400, "invalidValue",
             "second business owner 'y' (the owner is already 'owner')"),
            ("POST", "Users", #"{"name": {"givenName": "No Name"}}"#, 400, "invalidValue", "'userName' is required and must be a non-empty string"),
            ("POST", "Groups", #"{"displayName": "Herald Managers", "members": [{"value": "cfg-user"}]}"#, 409, "uniqueness",
             "user 'cfg-user' is defined in config; its roles cannot be changed through SCIM"),
            ("GET", "Users?filter=userName%20gt%20%22a%22", nil, 400, "invalidFilter", "operator 'gt' is not supported; use eq, ne, co, sw, ew or pr"),
            ("GET", "Users/nobody", nil, 404, nil, "no SCIM user 'nobody'"),
        ]
        for (method, path, body, status, scimType, detail) in cases {
            let response = try Self.scim(herald, method, path, body)
            #expect(response.status == status, "\(method) \(path): \(response.text)")
            #expect(response.json["scimType"] as? String == scimType, "\(method) \(path)")
            #expect(response.json["detail"] as? String == detail, "\(method) \(path)")
            #expect(response.json["schemas"] as? [String] == ["urn:ietf:params:scim:api:messages:2.0:Error"])
        }
        // A token without directory:write may not change the directory.
        let reader = try Self.scim(herald, "POST", "Users", #"{"userName": "z"}"#, token: Self.opsToken)
        #expect(reader.status == 403)
        #expect(reader.json["detail"] as? String == "the bearer token lacks the 'directory:write' scope")
        // A stale ETag is refused.
        _ = try Self.scim(herald, "POST", "Users", #"{"userName": "v"}"#)
        let stale = try Self.scim(herald, "PUT", "Users/v", #"{"userName": "v", "active": false}"#, headers: ["If-Match": #"W/"7""#])
        #expect(stale.status == 412)
    }

    /// PyPI's scim2-client (which validates every payload against RFC 7643/7644 with
    /// scim2-models) creates, patches, deactivates and deletes users and moves a role
    /// group's members; events posted between the steps reach exactly the right people.
    @Test func aRealScimClientProvisionsAndHeraldNotifiesAccordingly() throws {
        let herald = try Self.start()
        defer { _ = herald.stop() }
        let script = Fixtures.url("Tests/scim/scim_client_flow.py").path
        let result = try CommandRunner.python([script, "http://127.0.0.1:\(herald.port)", Self.idpToken, Self.opsToken], timeout: 120)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("all steps passed"))
    }

    /// Discovery by id, and reads shaped by `attributes` / `excludedAttributes`.
    @Test func discoveryByIDAndAttributeSelection() throws {
        let herald = try Self.start()
        defer { _ = herald.stop() }
        let schema = try Self.scim(herald, "GET", "Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        #expect(schema.status == 200)
        #expect(schema.json["id"] as? String == "urn:ietf:params:scim:schemas:core:2.0:User")
        #expect((schema.json["attributes"] as? [[String: Any]])?.first?["name"] as? String == "userName")
        let unknown = try Self.scim(herald, "GET", "Schemas/urn:x")
        #expect(unknown.status == 404)
        #expect(unknown.json["detail"] as? String == "no schema 'urn:x'; Herald has urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:core:2.0:Group, urn:herald:params:scim:schemas:extension:herald:2.0:User")
        #expect(try Self.scim(herald, "GET", "ResourceTypes/Group").json["endpoint"] as? String == "/Groups")
        let config = try Self.scim(herald, "GET", "ServiceProviderConfig").json
        #expect((config["bulk"] as? [String: Any])?["supported"] as? Bool == false)
        #expect((config["sort"] as? [String: Any])?["supported"] as? Bool == false)

        #expect(try Self.scim(herald, "POST", "Users", #"{"userName": "amy", "name": {"givenName": "Amy"}, "emails": [{"value": "amy@x", "type": "work"}]}"#).status == 201)
        let only = try Self.scim(herald, "GET", "Users/amy?attributes=userName,emails.value")
        #expect(Set(only.json.keys) == ["schemas", "id", "userName", "emails"])
        #expect(only.json["emails"] as? [[String: String]] == [["value": "amy@x"]])
        let listed = try Self.scim(herald, "GET", "Users?excludedAttributes=meta,name")
        let first = try #require((listed.json["Resources"] as? [[String: Any]])?.first)
        #expect(first["meta"] == nil && first["name"] == nil && first["userName"] as? String == "amy")
        let bad = try Self.scim(herald, "GET", "Users?attributes=a.b.c")
        #expect(bad.status == 400)
        #expect(bad.json["scimType"] as? String == "invalidValue")
    }

    /// A rule notifies a group only SCIM provides (`scim.groups`): before the identity
    /// provider pushes it the notice is unrouted and names the missing group; once the
    /// group arrives with members, they are told, by the path through the group.
    @Test func aRuleTargetsAGroupOnlyScimProvides() throws {
        let config = """
        {"users": [{"id": "owner", "owner": true}],
         "scim": {"groups": {"Night On-call": "night-oncall"}},
         "rules": [{"id": "load", "metric": "load", "tiers": [{"threshold": 10, "notify": [{"group": "night-oncall"}]}]}],
         "server": {"listen": "127.0.0.1:0", "unrouted": {"notify": [{"owner": true}]}, "tokens": [
           {"id": "idp", "env": "SCIM_TOKEN", "scopes": ["directory:write"]},
           {"id": "ops", "env": "OPS_TOKEN", "scopes": ["events:write", "read"]}]}}
        """
        let herald = try HeraldProcess(config: config, environment: ["SCIM_TOKEN": Self.idpToken, "OPS_TOKEN": Self.opsToken])
        defer { _ = herald.stop() }
        #expect(try Self.notified(herald, subject: "before") == ["owner"], "the unrouted fallback")
        let before = try HTTPClient.get(herald.url("/v1/notifications?subject=before"), token: Self.opsToken).json["notifications"] as? [[String: Any]]
        #expect(before?.first?["unrouted"] as? Bool == true)
        #expect((before?.first?["excluded"] as? [[String: Any]])?.compactMap { $0["reason"] as? String }
                == ["group 'night-oncall' is not in the directory (not provisioned yet, or deleted)"])

        #expect(try Self.scim(herald, "POST", "Users", #"{"userName": "nina@example.org"}"#).status == 201)
        let group = try Self.scim(herald, "POST", "Groups", #"{"displayName": "Night On-call", "members": [{"value": "nina@example.org"}]}"#)
        #expect(group.status == 201, "\(group.text)")
        #expect(try Self.notified(herald, subject: "after") == ["nina@example.org"])
        let after = try HTTPClient.get(herald.url("/v1/notifications?subject=after"), token: Self.opsToken).json["notifications"] as? [[String: Any]]
        #expect((after?.first?["recipients"] as? [[String: Any]])?.first?["path"] as? String == "group:night-oncall")
        let listed = try HTTPClient.get(herald.url("/v1/directory/groups/night-oncall"), token: Self.opsToken)
        #expect(listed.json["memberCount"] as? Int == 1)
    }

    /// An identity provider sending in parallel: every create is answered 201, changes
    /// share store transactions (group commit), a user is readable as soon as its 201
    /// came, and after kill -9 every answered user is still there.
    @Test func parallelProvisioningIsGroupedAndDurable() throws {
        let herald = try Self.start()
        let workers = 8, perWorker = 15
        let statuses = LockedList<String>()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in 0..<perWorker {
                let name = "p\(worker)-\(i)@example.org"
                let created = try? Self.scim(herald, "POST", "Users", #"{"userName": "\#(name)"}"#)
                let read = try? Self.scim(herald, "GET", "Users/" + name)
                statuses.append("\(created?.status ?? 0) \(read?.status ?? 0)")
            }
        }
        #expect(statuses.values == Array(repeating: "201 200", count: workers * perWorker))
        let metrics = try HTTPClient.get(herald.url("/metrics"), token: Self.opsToken).text
        let transactions = metrics.split(separator: "\n").first { $0.hasPrefix("herald_scim_commit_batch_size_count") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(transactions != nil && transactions! >= 1 && transactions! <= Double(workers * perWorker), "\(String(describing: transactions))")
        herald.crash()
        try herald.start()
        defer { _ = herald.stop() }
        let listed = try Self.scim(herald, "GET", "Users?count=1")
        #expect(listed.json["totalResults"] as? Int == workers * perWorker)
    }

    @Test func aChangeAnswered201SurvivesKill9() throws {
        let herald = try Self.start()
        let created = try Self.scim(herald, "POST", "Users", #"{"userName": "kate@example.org", "roles": [{"value": "manager"}]}"#)
        #expect(created.status == 201)
        herald.crash()
        try herald.start()
        defer { _ = herald.stop() }
        let read = try Self.scim(herald, "GET", "Users/kate@example.org")
        #expect(read.status == 200)
        #expect(read.header("ETag") == #"W/"1""#)
        #expect(try Self.notified(herald, subject: "p-9") == ["cfg-user", "kate@example.org", "owner"])
    }
}

/// Values appended from several threads.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) { lock.withLock { items.append(item) } }
    var values: [Element] { lock.withLock { items } }
}
