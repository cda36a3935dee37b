/// Everything a config file declares, validated: the input to `Directory` and the rules.
public struct ConfigDocument: Sendable, Equatable {
    public var roles: [RoleDefinition]
    public var defaultRole: String
    public var users: [UserDefinition]
    public var groups: [GroupDefinition]
    public var targets: [TargetDefinition]
    public var rules: [Rule]
    public var server: ServerSettings

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
