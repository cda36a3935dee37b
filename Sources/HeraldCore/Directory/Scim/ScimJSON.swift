public import Foundation

/// SCIM JSON ⇄ `ScimUser`/`ScimGroup`. Attribute names are case-insensitive (RFC 7643
/// §2.1); attributes Herald does not keep (title, locale, the enterprise extension…)
/// are accepted and dropped, since every IdP sends some. `id` and `meta` are read-only:
/// on input they are ignored, except when reading Herald's own stored copy.
public enum ScimJSON {
    /// Longest string Herald keeps from a SCIM attribute.
    public static let maxStringLength = 1_024
    /// Most values of a multi-valued attribute (emails, phone numbers, roles).
    public static let maxMultiValues = 50
    /// Most members one group request may list.
    public static let maxMembers = 100_000

    // MARK: - Reading

    /// A user from a request body (or, with `meta`, from the store).
    public static func user(_ value: JSONValue, meta: ScimMeta) throws(ScimError) -> ScimUser {
        let object = try lowered(value, "the body")
        guard let userName = try string(object, "username"), !userName.isEmpty else {
            throw .invalidValue("'userName' is required and must be a non-empty string")
        }
        var user = ScimUser(userName: userName, meta: try storedMeta(object) ?? meta)
        try apply(object, to: &user)
        return user
    }

    /// Sets every attribute `object` (lower-cased keys) carries, leaving the others.
    static func apply(_ object: [String: JSONValue], to user: inout ScimUser) throws(ScimError) {
        if object["externalid"] != nil { user.externalId = try string(object, "externalid") }
        if let name = object["name"] { user.name = try self.name(name) }
        if object["displayname"] != nil { user.displayName = try string(object, "displayname") }
        if let active = object["active"] { user.active = try bool(active, "active") }
        if let emails = object["emails"] { user.emails = try multiValues(emails, "emails") }
        if let phones = object["phonenumbers"] { user.phoneNumbers = try multiValues(phones, "phoneNumbers") }
        if let roles = object["roles"] { user.roles = try multiValues(roles, "roles") }
        if let herald = object[ScimSchema.heraldUser.lowercased()] {
            let extensionObject = try lowered(herald, "'\(ScimSchema.heraldUser)'")
            if let owner = extensionObject["owner"] { user.owner = try bool(owner, "owner") }
            if let deleted = extensionObject["deleted"] { user.deleted = try bool(deleted, "deleted") }
        }
    }

    /// A group from a request body (or, with `meta`, from the store).
    public static func group(_ value: JSONValue, id: String, meta: ScimMeta) throws(ScimError) -> ScimGroup {
        let object = try lowered(value, "the body")
        guard let displayName = try string(object, "displayname"), !displayName.isEmpty else {
            throw .invalidValue("'displayName' is required and must be a non-empty string")
        }
        var group = ScimGroup(id: try string(object, "id") ?? id, displayName: displayName, meta: try storedMeta(object) ?? meta)
        group.externalId = try string(object, "externalid")
        if let members = object["members"] { group.members = try self.members(members) }
        return group
    }

    static func members(_ value: JSONValue) throws(ScimError) -> [ScimMember] {
        guard case .array(let items) = value else { throw .invalidValue("'members' must be an array") }
        guard items.count <= maxMembers else { throw .invalidValue("'members' may list at most \(maxMembers) members") }
        var members: [ScimMember] = []
        for item in items {
            let object = try lowered(item, "a member")
            guard let value = try string(object, "value"), !value.isEmpty else { throw .invalidValue("a member needs a 'value'") }
            var kind = ScimMember.Kind.user
            if let type = try string(object, "type") {
                guard let known = ScimMember.Kind(rawValue: type.capitalized) else {
                    throw .invalidValue("member type '\(type)' is neither 'User' nor 'Group'")
                }
                kind = known
            }
            if !members.contains(where: { $0.value == value }) { members.append(ScimMember(value: value, kind: kind)) }
        }
        return members
    }

    static func name(_ value: JSONValue) throws(ScimError) -> ScimName {
        if case .null = value { return ScimName() }
        let object = try lowered(value, "'name'")
        return ScimName(formatted: try string(object, "formatted"), givenName: try string(object, "givenname"),
                        familyName: try string(object, "familyname"))
    }

    static func multiValues(_ value: JSONValue, _ attribute: String) throws(ScimError) -> [ScimMultiValue] {
        if case .null = value { return [] }
        guard case .array(let items) = value else { throw .invalidValue("'\(attribute)' must be an array") }
        guard items.count <= maxMultiValues else { throw .invalidValue("'\(attribute)' may hold at most \(maxMultiValues) values") }
        var values: [ScimMultiValue] = []
        for item in items {
            let object = try lowered(item, "a value of '\(attribute)'")
            guard let text = try string(object, "value"), !text.isEmpty else {
                throw .invalidValue("every value of '\(attribute)' needs a non-empty 'value'")
            }
            let primary = try object["primary"].map { (v) throws(ScimError) in try bool(v, "\(attribute).primary") } ?? false
            values.append(ScimMultiValue(value: text, type: try string(object, "type"), primary: primary, display: try string(object, "display")))
        }
        return values
    }

    /// The object with lower-cased keys, or `invalidSyntax` naming what it should be.
    static func lowered(_ value: JSONValue, _ what: String) throws(ScimError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw .invalidSyntax("\(what) must be a JSON object") }
        return Dictionary(members.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static func string(_ object: [String: JSONValue], _ key: String) throws(ScimError) -> String? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return nil
        case .string(let text):
            guard text.utf8.count <= maxStringLength else { throw .invalidValue("'\(key)' is longer than \(maxStringLength) bytes") }
            return text
        default: throw .invalidValue("'\(key)' must be a string, found \(value.typeName)")
        }
    }

    static func bool(_ value: JSONValue, _ name: String) throws(ScimError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        // Entra ID sends "True"/"False" as strings in PATCH values.
        case .string(let text) where text.lowercased() == "true": return true
        case .string(let text) where text.lowercased() == "false": return false
        default: throw .invalidValue("'\(name)' must be a boolean, found \(value.typeName)")
        }
    }

    /// `meta` of Herald's stored copy (with version), nil for a client's body.
    private static func storedMeta(_ object: [String: JSONValue]) throws(ScimError) -> ScimMeta? {
        guard case .object(let meta)? = object["meta"], case .string(let etag)? = meta["version"],
              let version = ScimMeta.version(ofETag: etag),
              case .string(let created)? = meta["created"], case .string(let modified)? = meta["lastModified"],
              let createdAt = EventDecoder.parseTimestamp(created), let modifiedAt = EventDecoder.parseTimestamp(modified) else { return nil }
        return ScimMeta(created: createdAt, lastModified: modifiedAt, version: version)
    }

    // MARK: - Writing

    /// The user as SCIM JSON; `location` is its URL.
    public static func object(_ user: ScimUser, location: String) -> [String: Any] {
        var object: [String: Any] = [
            "schemas": [ScimSchema.user, ScimSchema.heraldUser], "id": user.id, "userName": user.userName, "active": user.active,
            "meta": meta(user.meta, type: "User", location: location),
            ScimSchema.heraldUser: user.deleted ? ["owner": user.owner, "deleted": true] : ["owner": user.owner],
        ]
        if let externalId = user.externalId { object["externalId"] = externalId }
        if !user.name.isEmpty {
            var name: [String: Any] = [:]
            if let formatted = user.name.formatted { name["formatted"] = formatted }
            if let given = user.name.givenName { name["givenName"] = given }
            if let family = user.name.familyName { name["familyName"] = family }
            object["name"] = name
        }
        if let displayName = user.displayName { object["displayName"] = displayName }
        if !user.emails.isEmpty { object["emails"] = user.emails.map(multiValue) }
        if !user.phoneNumbers.isEmpty { object["phoneNumbers"] = user.phoneNumbers.map(multiValue) }
        if !user.roles.isEmpty { object["roles"] = user.roles.map(multiValue) }
        return object
    }

    /// The group as SCIM JSON.
    public static func object(_ group: ScimGroup, location: String) -> [String: Any] {
        var object: [String: Any] = [
            "schemas": [ScimSchema.group], "id": group.id, "displayName": group.displayName,
            "members": group.members.map { ["value": $0.value, "type": $0.kind.rawValue] },
            "meta": meta(group.meta, type: "Group", location: location),
        ]
        if let externalId = group.externalId { object["externalId"] = externalId }
        return object
    }

    private static func multiValue(_ value: ScimMultiValue) -> [String: Any] {
        var object: [String: Any] = ["value": value.value]
        if let type = value.type { object["type"] = type }
        if value.primary { object["primary"] = true }
        if let display = value.display { object["display"] = display }
        return object
    }

    private static func meta(_ meta: ScimMeta, type: String, location: String) -> [String: Any] {
        ["resourceType": type, "created": ScimJSON.timestamp(meta.created),
         "lastModified": ScimJSON.timestamp(meta.lastModified), "version": meta.etag,
         "location": location]
    }
}

extension ScimJSON {
    /// RFC 3339 with milliseconds, UTC (SCIM's `dateTime`).
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
