public import Foundation

/// SCIM 2.0 (RFC 7643) resources as Herald keeps them: the attributes Herald maps onto
/// its directory, plus `meta`. Kept in the store as their SCIM JSON.
public enum ScimSchema {
    public static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    public static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    /// Herald's extension: `owner` marks the business owner.
    public static let heraldUser = "urn:herald:params:scim:schemas:extension:herald:2.0:User"
    public static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    public static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    public static let error = "urn:ietf:params:scim:api:messages:2.0:Error"
}

/// `meta`: when a resource was created and changed, and its version (the ETag).
public struct ScimMeta: Sendable, Equatable {
    public var created: Date
    public var lastModified: Date
    /// Bumped by every change; the weak ETag is `W/"<version>"`.
    public var version: Int

    public init(created: Date, lastModified: Date, version: Int) {
        self.created = created
        self.lastModified = lastModified
        self.version = version
    }

    public var etag: String { "W/\"\(version)\"" }

    /// The version an ETag names (`W/"3"` or `"3"`), nil for anything else.
    public static func version(ofETag etag: String) -> Int? {
        var text = Substring(etag.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        guard text.count >= 3, text.first == "\"", text.last == "\"" else { return nil }
        return Int(text.dropFirst().dropLast())
    }
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, `roles`).
public struct ScimMultiValue: Sendable, Equatable {
    public var value: String
    public var type: String?
    public var primary: Bool
    public var display: String?

    public init(value: String, type: String? = nil, primary: Bool = false, display: String? = nil) {
        self.value = value
        self.type = type
        self.primary = primary
        self.display = display
    }
}

/// `name`'s parts.
public struct ScimName: Sendable, Equatable {
    public var formatted: String?
    public var givenName: String?
    public var familyName: String?

    public init(formatted: String? = nil, givenName: String? = nil, familyName: String? = nil) {
        self.formatted = formatted
        self.givenName = givenName
        self.familyName = familyName
    }

    var isEmpty: Bool { formatted == nil && givenName == nil && familyName == nil }
}

/// A SCIM User. Its `id` is its `userName`, which is the Herald user id: rules and
/// relations name users by id, so an IdP's `userName` (usually the e-mail address)
/// is what an operator writes there. `userName` cannot change once created.
public struct ScimUser: Sendable, Equatable {
    public var userName: String
    public var externalId: String?
    public var name: ScimName
    public var displayName: String?
    public var active: Bool
    public var emails: [ScimMultiValue]
    public var phoneNumbers: [ScimMultiValue]
    /// Herald role ids.
    public var roles: [ScimMultiValue]
    /// Herald's extension: the business owner.
    public var owner: Bool
    /// DELETE deactivates: the user stays in Herald's directory (inactive, so the audit
    /// trail still names them) but SCIM answers 404 for it until it is created again.
    public var deleted = false
    public var meta: ScimMeta

    public var id: String { userName }

    public init(userName: String, externalId: String? = nil, name: ScimName = ScimName(), displayName: String? = nil,
                active: Bool = true, emails: [ScimMultiValue] = [], phoneNumbers: [ScimMultiValue] = [],
                roles: [ScimMultiValue] = [], owner: Bool = false, meta: ScimMeta) {
        self.userName = userName
        self.externalId = externalId
        self.name = name
        self.displayName = displayName
        self.active = active
        self.emails = emails
        self.phoneNumbers = phoneNumbers
        self.roles = roles
        self.owner = owner
        self.meta = meta
    }

    /// The name Herald shows: displayName, else the formatted or given + family name.
    public var heraldName: String {
        if let displayName, !displayName.isEmpty { return displayName }
        if let formatted = name.formatted, !formatted.isEmpty { return formatted }
        let parts = [name.givenName, name.familyName].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? userName : parts.joined(separator: " ")
    }
}

/// A member of a SCIM Group: a user (by `userName`) or another group (by `id`).
public struct ScimMember: Sendable, Equatable {
    public enum Kind: String, Sendable { case user = "User", group = "Group" }
    public var value: String
    public var kind: Kind

    public init(value: String, kind: Kind = .user) {
        self.value = value
        self.kind = kind
    }
}

/// A SCIM Group. Mapped to a Herald role when `scim.roleGroups` names its
/// `displayName`; otherwise a custom group whose id is the SCIM `id`.
public struct ScimGroup: Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var externalId: String?
    public var members: [ScimMember]
    public var meta: ScimMeta

    public init(id: String, displayName: String, externalId: String? = nil, members: [ScimMember] = [], meta: ScimMeta) {
        self.id = id
        self.displayName = displayName
        self.externalId = externalId
        self.members = members
        self.meta = meta
    }
}
