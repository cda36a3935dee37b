/// Everything a config file declares, validated: the input to `Directory` and the rules.
public struct ConfigDocument: Sendable, Equatable {
    public var roles: [RoleDefinition]
    public var defaultRole: String
    public var users: [UserDefinition]
    public var groups: [GroupDefinition]
    public var targets: [TargetDefinition]
    public var rules: [Rule]
    public var server: ServerSettings
    /// How SCIM provisioning maps onto the directory (`scim` in the config).
    public var scim = ScimSettings()
    /// How Alertmanager and Grafana alerts become events (`bridges` in the config).
    public var bridges = BridgeSettings()
    /// How long the state file keeps history (`store` in the config).
    public var store = StoreSettings()
    /// Where each user was written (a path into the config or a directory file), for
    /// messages found after decoding; empty for documents built in code.
    var userPaths = MessagePaths()

    /// The path naming user `index` in messages.
    func userPath(_ index: Int) -> JSONPath {
        index < userPaths.paths.count ? userPaths.paths[index] : JSONPath.root.appending("users").appending(index)
    }

    public init(roles: [RoleDefinition] = RoleDefinition.defaults, defaultRole: String = RoleDefinition.defaultRoleID,
                users: [UserDefinition], groups: [GroupDefinition] = [], targets: [TargetDefinition] = [],
                rules: [Rule] = [], server: ServerSettings = ServerSettings()) {
        self.roles = roles
        self.defaultRole = defaultRole
        self.users = users
        self.groups = groups
        self.targets = targets
        self.rules = rules
        self.server = server
    }
}

/// Paths kept only to word messages: two documents with the same definitions are equal
/// wherever those were written.
struct MessagePaths: Sendable, Equatable {
    var paths: [JSONPath] = []
    static func == (_: MessagePaths, _: MessagePaths) -> Bool { true }
}
