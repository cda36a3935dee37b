import Foundation
import Testing
@testable import HeraldCore

/// SCIM's pure half: filters, JSON ⇄ resources, PATCH, and how resources map onto the
/// directory (roleGroups). One case per rule and per refusal, exact messages.
struct ScimMappingTests {
    static let meta = ScimMeta(created: Date(timeIntervalSince1970: 1_800_000_000), lastModified: Date(timeIntervalSince1970: 1_800_000_000), version: 1)

    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    static func user(_ text: String) throws -> ScimUser { try ScimJSON.user(try json(text), meta: meta) }

    // MARK: - Filters

    @Test func filtersMatchAsRFC7644Says() throws {
        let ann = try Self.user(#"{"userName": "Ann@Example.org", "externalId": "E-1", "active": false, "emails": [{"value": "ann@work.example"}]}"#)
        let values = { (path: String) -> [ScimFilter.Literal] in
            switch path {
            case "username": [.string(ann.userName)]
            case "externalid": [.string(ann.externalId!)]
            case "active": [.bool(ann.active)]
            case "emails.value": ann.emails.map { .string($0.value) }
            default: []
            }
        }
        let exact = { (path: String) in path == "externalid" }
        let cases: [(String, Bool)] = [
            (#"userName eq "ann@example.org""#, true),          // userName is case-insensitive
            (#"externalId eq "e-1""#, false),                   // externalId is case-exact
            (#"active eq false and externalId eq "E-1""#, true),
            (#"active eq true or emails.value ew "@work.example""#, true),
            (#"not (active eq false)"#, false),
            (#"(userName sw "ann" and active eq false) or userName eq "x""#, true),
            (#"title pr"#, false),
            (#"emails.value co "WORK""#, true),
            (#"userName ne "bob""#, true),
        ]
        for (text, expected) in cases {
            #expect(try ScimFilter.parse(text).matches(values, caseExact: exact) == expected, "\(text)")
        }
        #expect(try ScimFilter.parse(#"userName eq "a""#).equality! == ("username", "a"))
    }

    @Test func badFiltersAreInvalidFilter() {
        let cases: [(String, String)] = [
            (#"userName gt "a""#, "operator 'gt' is not supported; use eq, ne, co, sw, ew or pr"),
            (#"userName eq "a"#, "unterminated string in filter"),
            (#"userName eq"#, "expected a value"),
            (#"(userName eq "a""#, "missing ')'"),
            (#"userName eq "a" junk"#, "unexpected 'junk' in filter 'userName eq \"a\" junk'"),
        ]
        for (text, detail) in cases {
            #expect(throws: ScimError(status: 400, scimType: "invalidFilter", detail), "\(text)") { _ = try ScimFilter.parse(text) }
        }
    }

    // MARK: - JSON

    @Test func aUserBodyIsReadCaseInsensitivelyAndRoundTrips() throws {
        let user = try Self.user("""
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "USERNAME": "ann", "Name": {"givenName": "Ann", "familyName": "Archer"},
             "emails": [{"value": "a@x.org", "type": "work", "primary": true}], "phoneNumbers": [{"value": "+1 555"}],
             "roles": [{"value": "manager"}], "title": "ignored", "urn:herald:params:scim:schemas:extension:herald:2.0:User": {"owner": true}}
            """)
        #expect(user.id == "ann")
        #expect(user.heraldName == "Ann Archer")
        #expect(user.emails == [ScimMultiValue(value: "a@x.org", type: "work", primary: true)])
        #expect(user.roles.map(\.value) == ["manager"])
        #expect(user.owner)
        let rendered = ExplanationRenderer.serialize(ScimJSON.object(user, location: "http://h/scim/v2/Users/ann"))
        var back = try ScimJSON.user(try JSONValue.parse(rendered), meta: ScimMeta(created: .distantPast, lastModified: .distantPast, version: 9))
        #expect(back.meta.version == 1, "the stored meta is read back")
        back.meta = user.meta
        #expect(back == user)
    }

    @Test func badUserBodiesSayWhatIsWrong() {
        let cases: [(String, ScimError)] = [
            (#"{"name": {}}"#, .invalidValue("'userName' is required and must be a non-empty string")),
            (#"{"userName": 7}"#, .invalidValue("'username' must be a string, found number")),
            (#"{"userName": "a", "active": "maybe"}"#, .invalidValue("'active' must be a boolean, found string")),
            (#"{"userName": "a", "emails": [{"type": "work"}]}"#, .invalidValue("every value of 'emails' needs a non-empty 'value'")),
            (#"[1]"#, .invalidSyntax("the body must be a JSON object")),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { _ = try Self.user(text) }
        }
    }

    // MARK: - PATCH

    static func patch(_ operations: String) throws -> ScimPatch {
        try ScimPatch(try json(#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": \#(operations)}"#))
    }

    @Test func patchOperationsChangeTheUserAsIdentityProvidersSendThem() throws {
        let user = try Self.user(#"{"userName": "ann", "emails": [{"value": "old@x.org", "type": "work"}], "roles": [{"value": "manager"}, {"value": "admin"}]}"#)
        // Entra ID: no path, values as strings, dotted names.
        var patched = try Self.patch(#"[{"op": "Replace", "value": {"active": "False", "name.givenName": "Ann"}}]"#).apply(to: user)
        #expect(!patched.active && patched.name.givenName == "Ann")
        // A filtered value path: the work e-mail replaced, a new home e-mail added.
        patched = try Self.patch(#"[{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@x.org"}, {"op": "add", "path": "emails[type eq \"home\"].value", "value": "h@x.org"}]"#).apply(to: user)
        #expect(patched.emails == [ScimMultiValue(value: "new@x.org", type: "work"), ScimMultiValue(value: "h@x.org", type: "home")])
        // Remove one role by filter; add one that is there already (no duplicate).
        patched = try Self.patch(#"[{"op": "remove", "path": "roles[value eq \"admin\"]"}, {"op": "add", "path": "roles", "value": [{"value": "manager"}]}]"#).apply(to: user)
        #expect(patched.roles.map(\.value) == ["manager"])
        patched = try Self.patch(#"[{"op": "remove", "path": "emails"}]"#).apply(to: user)
        #expect(patched.emails.isEmpty)
    }

    @Test func patchRefusalsNameTheProblem() throws {
        let user = try Self.user(#"{"userName": "ann"}"#)
        let cases: [(String, ScimError)] = [
            (#"[{"op": "replace", "path": "userName", "value": "bob"}]"#, .mutability("'userName' is Herald's user id and cannot change ('ann')")),
            (#"[{"op": "replace", "path": "title", "value": "x"}]"#,
             .invalidPath("attribute 'title' is not one Herald keeps (active, name, displayName, externalId, emails, phoneNumbers, roles)")),
            (#"[{"op": "remove"}]"#, .noTarget("a remove operation needs a 'path'")),
            (#"[{"op": "move", "path": "active"}]"#, .invalidSyntax("each operation needs 'op': add, replace or remove")),
            (#"[]"#, .invalidSyntax("a PatchOp needs a non-empty 'Operations' array")),
        ]
        for (operations, error) in cases {
            #expect(throws: error, "\(operations)") { _ = try Self.patch(operations).apply(to: user) }
        }
    }

    @Test func groupPatchesMoveMembers() throws {
        let group = ScimGroup(id: "g", displayName: "Ops", members: [ScimMember(value: "ann"), ScimMember(value: "bob")], meta: Self.meta)
        var patched = try Self.patch(#"[{"op": "remove", "path": "members[value eq \"ann\"]"}, {"op": "add", "path": "members", "value": [{"value": "cy"}, {"value": "bob"}]}]"#).apply(to: group)
        #expect(patched.members.map(\.value) == ["bob", "cy"])
        // Entra ID removes with a value list.
        patched = try Self.patch(#"[{"op": "remove", "path": "members", "value": [{"value": "bob"}]}]"#).apply(to: patched)
        #expect(patched.members.map(\.value) == ["cy"])
        patched = try Self.patch(#"[{"op": "replace", "value": {"displayName": "Night ops"}}]"#).apply(to: patched)
        #expect(patched.displayName == "Night ops")
    }

    // MARK: - Mapping onto the directory

    @Test func roleGroupsGiveTheirMembersTheRoleAndOtherGroupsBecomeCustomGroups() throws {
        let ann = try Self.user(#"{"userName": "ann", "roles": [{"value": "admin"}], "emails": [{"value": "b@x"}, {"value": "a@x", "primary": true}]}"#)
        let bob = try Self.user(#"{"userName": "bob"}"#)
        let managers = ScimGroup(id: "g-1", displayName: "Herald Managers", members: [ScimMember(value: "ann"), ScimMember(value: "bob")], meta: Self.meta)
        let night = ScimGroup(id: "g-2", displayName: "Night", members: [ScimMember(value: "bob"), ScimMember(value: "g-1", kind: .group)], meta: Self.meta)
        let scim = ScimDirectory(users: [ann, bob], groups: [managers, night], roleGroups: ["Herald Managers": "manager"])
        let annDefinition = scim.definition(of: ann)
        #expect(annDefinition.roles == ["admin", "manager"])
        #expect(annDefinition.contact.email == "a@x", "the primary e-mail")
        #expect(annDefinition.source == .scim)
        #expect(scim.definition(of: night).members == ["bob"] && scim.definition(of: night).groups == ["g-1"])

        // Bob leaves the role group: one change for the group's role, one for bob.
        var smaller = managers
        smaller.members = [ScimMember(value: "ann")]
        let changes = scim.changes(group: "g-1", becoming: smaller)
        #expect(changes.count == 2)
        if case .putUser(let user) = changes.last { #expect(user.id == "bob" && user.roles.isEmpty) }
        // Renamed out of the mapping: its members lose the role and it becomes a custom group.
        var renamed = managers
        renamed.displayName = "Former managers"
        let renaming = scim.changes(group: "g-1", becoming: renamed)
        #expect(renaming.first == .putGroup(scim.definition(of: renamed)))
        #expect(renaming.contains(.putUser(scim.definition(of: bob, replacing: ("g-1", renamed)))))
    }

    /// Everything the store holds, replayed onto a config's directory, gives the directory
    /// the changes made one at a time gave.
    @Test func allChangesRebuildTheDirectory() throws {
        let base = try HeraldConfig.compile(ConfigDocument(users: [UserDefinition(id: "owner", isOwner: true)])).directory
        let ann = try Self.user(#"{"userName": "ann"}"#)
        let inner = ScimGroup(id: "g-in", displayName: "Inner", members: [ScimMember(value: "ann")], meta: Self.meta)
        let outer = ScimGroup(id: "g-out", displayName: "Outer", members: [ScimMember(value: "g-in", kind: .group)], meta: Self.meta)
        let managers = ScimGroup(id: "g-m", displayName: "Herald Managers", members: [ScimMember(value: "ann")], meta: Self.meta)
        // The outer group is stored before the inner one it nests.
        let scim = ScimDirectory(users: [ann], groups: [outer, inner, managers], roleGroups: ["Herald Managers": "manager"])
        let directory = try base.applying(scim.allChanges())
        let u = try #require(directory.user("ann"))
        #expect(directory.users[u].roles.map { directory.roles[$0].id } == ["manager"])
        #expect(directory.memberPaths(ofGroup: directory.group("g-out")!).map(\.path) == ["group:g-out → group:g-in"])
    }

    /// `scim.groups`: a SCIM group named there is the directory group with the declared
    /// id (what rules name), nested references follow it, and renaming it out of the
    /// mapping removes the declared group.
    @Test func declaredGroupsTakeTheirHeraldID() throws {
        let base = try HeraldConfig.compile(ConfigDocument(users: [UserDefinition(id: "owner", isOwner: true)])).directory
        let ann = try Self.user(#"{"userName": "ann"}"#)
        let night = ScimGroup(id: "g-n", displayName: "Night On-call", members: [ScimMember(value: "ann")], meta: Self.meta)
        let all = ScimGroup(id: "g-all", displayName: "Everyone", members: [ScimMember(value: "g-n", kind: .group)], meta: Self.meta)
        let scim = ScimDirectory(users: [ann], groups: [night, all], roleGroups: [:], groupIDs: ["Night On-call": "night-oncall"])
        #expect(scim.definition(of: night).id == "night-oncall")
        #expect(scim.definition(of: all).groups == ["night-oncall"], "a nested declared group is named by its Herald id")
        let directory = try base.applying(scim.allChanges())
        #expect(directory.memberPaths(ofGroup: directory.group("night-oncall")!).map(\.path) == ["group:night-oncall"])
        #expect(directory.group("g-n") == nil)

        var renamed = night
        renamed.displayName = "Day shift"
        let lone = ScimDirectory(users: [ann], groups: [night], roleGroups: [:], groupIDs: ["Night On-call": "night-oncall"])
        #expect(lone.changes(group: "g-n", becoming: renamed) == [.putGroup(lone.definition(of: renamed)), .removeGroup("night-oncall")])
        #expect(lone.changes(group: "g-n", becoming: nil) == [.removeGroup("night-oncall")])
    }

    // MARK: - attributes / excludedAttributes

    /// RFC 7644 §3.4.2.5: the asked attributes only (id and schemas always), names
    /// case-insensitive, sub-attributes, fully qualified names and the extension's URN.
    @Test func attributesAndExcludedAttributesShapeTheAnswer() throws {
        let user = try Self.user(#"{"userName": "ann", "name": {"givenName": "Ann", "familyName": "Archer"}, "emails": [{"value": "a@x", "type": "work"}]}"#)
        let object = ScimJSON.object(user, location: "http://h/scim/v2/Users/ann")
        let schemas = [ScimSchema.user, ScimSchema.heraldUser]
        func keys(_ attributes: String?, _ excluded: String?) throws -> String {
            let shaped = try ScimAttributes(attributes: attributes, excludedAttributes: excluded, schemas: schemas).apply(to: object)
            return shaped.keys.sorted().map { key in
                if let sub = shaped[key] as? [String: Any] { return "\(key){\(sub.keys.sorted().joined(separator: ","))}" }
                if let list = shaped[key] as? [[String: Any]] { return "\(key)[\(list.first?.keys.sorted().joined(separator: ",") ?? "")]" }
                return key
            }.joined(separator: " ")
        }
        let cases: [(String?, String?, String)] = [
            // Only userName (plus what is always returned).
            ("userName", nil, "id schemas userName"),
            // Case-insensitive, a sub-attribute, a fully qualified name.
            ("USERNAME,name.givenName,urn:ietf:params:scim:schemas:core:2.0:User:emails.value", nil,
             "emails[value] id name{givenName} schemas userName"),
            // The extension's URN is its whole object.
            (ScimSchema.heraldUser, nil, "id schemas \(ScimSchema.heraldUser){owner}"),
            // Excluded: a whole attribute, a sub-attribute; id cannot be excluded.
            (nil, "meta,emails.type,id,\(ScimSchema.heraldUser)", "active emails[value] id name{familyName,givenName} schemas userName"),
        ]
        for (attributes, excluded, expected) in cases {
            #expect(try keys(attributes, excluded) == expected, "\(attributes ?? "-") / \(excluded ?? "-")")
        }
        let membersOff = try ScimAttributes(attributes: nil, excludedAttributes: "Members", schemas: [ScimSchema.group])
        #expect(membersOff.excludes("members") && !membersOff.excludes("displayName"))
        #expect(try ScimAttributes(attributes: "displayName", excludedAttributes: nil, schemas: [ScimSchema.group]).excludes("members"))
    }

    @Test func badAttributeNamesAreRefused() {
        let cases: [(String, String)] = [
            ("name.givenName.x", "'name.givenName.x' in 'attributes' is not an attribute name (write 'name' or 'name.subAttribute')"),
            ("urn:other:thing", "'urn:other:thing' in 'attributes' is not an attribute name (write 'name' or 'name.subAttribute')"),
            (Array(repeating: "a", count: 65).joined(separator: ","), "'attributes' lists 65 attributes; at most 64"),
        ]
        for (text, detail) in cases {
            #expect(throws: ScimError.invalidValue(detail), "\(text.prefix(20))") {
                _ = try ScimAttributes(attributes: text, excludedAttributes: nil, schemas: [ScimSchema.user])
            }
        }
    }
}
