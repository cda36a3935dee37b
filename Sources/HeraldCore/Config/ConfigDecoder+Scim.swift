/// How SCIM provisioning maps onto Herald's directory (`scim` in the config).
public struct ScimSettings: Sendable, Equatable {
    /// SCIM group display name → Herald role: members of the group hold the role. This is
    /// how identity-provider admins assign roles (by putting people in a group).
    public var roleGroups: [String: String] = [:]
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
        if let maxUsers = reader.integer("maxUsers", in: ScimSettings.maxUsersRange) { settings.maxUsers = maxUsers }
        reader.finish()
        return settings
    }
}
