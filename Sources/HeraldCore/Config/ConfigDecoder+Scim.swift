/// How SCIM provisioning maps onto Herald's directory (`scim` in the config).
public struct ScimSettings: Sendable, Equatable {
    /// SCIM group display name → Herald role: members of the group hold the role. This is
    /// how identity-provider admins assign roles (by putting people in a group).
    public var roleGroups: [String: String] = [:]
    /// SCIM group display name → the Herald group id it becomes: a custom group that
    /// rules can notify before the identity provider has pushed it (until then, and
    /// while it has no members, such a rule's notices are unrouted and say why). Other
    /// SCIM custom groups get their SCIM `id` (a UUID Herald assigns).
    public var groups: [String: String] = [:]
    /// Most users SCIM may create; past it a create answers 400 (`tooMany`).
    public var maxUsers: Int = ScimSettings.defaultMaxUsers

    /// 100,000 users is the size the directory is measured at (load < 1 s).
    public static let defaultMaxUsers = 100_000
    public static let maxUsersRange = 1...1_000_000

    public init() {}
}

extension ConfigDecoder {
    mutating func decodeScim(_ reader: inout ObjectReader) -> ScimSettings {
        var settings = ScimSettings()
        let mapping = reader.stringMap("roleGroups")
        for group in mapping.keys.sorted() {
            let role = mapping[group]!
            if reference(role, kind: "role", known: roleIDs, at: reader.path.appending("roleGroups").appending(group)) {
                settings.roleGroups[group] = role
            }
        }
        settings.groups = decodeScimGroups(reader.stringMap("groups"), roleGroups: mapping, at: reader.path.appending("groups"))
        if let maxUsers = reader.integer("maxUsers", in: ScimSettings.maxUsersRange) { settings.maxUsers = maxUsers }
        reader.finish()
        return settings
    }
}

extension ConfigDecoder {
    /// `scim.groups`: each id is new (no role or config group has it), used once, and a
    /// name is not also a role group.
    func decodeScimGroups(_ mapping: [String: String], roleGroups: [String: String], at path: JSONPath) -> [String: String] {
        var groups: [String: String] = [:]
        var claimed: [String: String] = [:]
        for name in mapping.keys.sorted() {
            let id = mapping[name]!, place = path.appending(name)
            if id.isEmpty {
                diagnostics.error("empty_value", place, "the Herald group id for SCIM group '\(name)' must not be empty")
            } else if roleGroups[name] != nil {
                diagnostics.error("duplicate_id", place, "SCIM group '\(name)' is already a role group (scim.roleGroups); it cannot also be a custom group")
            } else if roleIDs.contains(id) {
                diagnostics.error("role_group_edited", place, "'\(id)' is a role's group; name the SCIM group in scim.roleGroups to give that role")
            } else if groupIDs.contains(id) {
                diagnostics.error("duplicate_id", place, "group '\(id)' is defined in the config or a directory file; a SCIM group cannot take its id")
            } else if let other = claimed[id] {
                diagnostics.error("duplicate_id", place, "group id '\(id)' is already given to SCIM group '\(other)'")
            } else {
                claimed[id] = name
                groups[name] = id
            }
        }
        return groups
    }
}
