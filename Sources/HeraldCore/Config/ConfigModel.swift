/// The config file as written, after decoding and validation: plain definitions that
/// `Directory` compiles into indexes. Field meanings are documented in
/// `Config/herald.schema.json`.

/// A role: its place in the seniority order and the rights it brings.
public struct RoleDefinition: Sendable, Equatable {
    public let id: String
    public let name: String
    /// Roles this one includes: `admin` inherits `manager`, so admin ⊇ manager.
    public let inherits: [String]
    /// Rights every holder gets.
    public let recommendedRights: [String]
    /// Rights that may be granted to a holder on top of the recommended ones.
    public let additionalRights: [String]

    public init(id: String, name: String? = nil, inherits: [String] = [], recommendedRights: [String] = [], additionalRights: [String] = []) {
        self.id = id
        self.name = name ?? id
        self.inherits = inherits
        self.recommendedRights = recommendedRights
        self.additionalRights = additionalRights
    }

    /// Seed 003's fixed roles, used when a config declares none: admin ⊇ manager ⊇ team member.
    public static let defaults: [RoleDefinition] = [
        RoleDefinition(id: "admin", name: "Admin", inherits: ["manager"]),
        RoleDefinition(id: "manager", name: "Manager", inherits: ["team_member"]),
        RoleDefinition(id: "team_member", name: "Team Member"),
    ]
    public static let defaultRoleID = "team_member"
}

/// How to reach a person.
public struct Contact: Sendable, Equatable {
    public var email: String?
    public var phone: String?
    /// Target id → this person's address on it (e.g. their own chat webhook URL).
    public var addresses: [String: String]
    /// Format name (`slack`, `mattermost`, `discord`, `ntfy`, `pagerduty`) → this
    /// person's handle there: a member id to mention, or an ntfy topic / PagerDuty
    /// routing key a per-recipient target sends to (`ChannelFormat.contactField`).
    public var handles: [String: String]

    public init(email: String? = nil, phone: String? = nil, addresses: [String: String] = [:], handles: [String: String] = [:]) {
        self.email = email
        self.phone = phone
        self.addresses = addresses
        self.handles = handles
    }
}

/// A user as configured.
public struct UserDefinition: Sendable, Equatable {
    public let id: String
    public let name: String
    public let contact: Contact
    public let active: Bool
    /// Explicit roles; empty means the default role.
    public let roles: [String]
    /// Custom groups the user belongs to.
    public let groups: [String]
    public let grantedRights: [String]
    public let revokedRights: [String]
    /// Another user whose effective rights are added to this user's (seed 000).
    public let copyRightsFrom: String?
    public let isOwner: Bool
    /// When non-critical notices to this user are held back.
    public let quietHours: QuietHours?
    /// Where the user is defined: the config, a directory file or SCIM.
    public var source: DirectorySource = .config

    public init(id: String, name: String? = nil, contact: Contact = Contact(), active: Bool = true, roles: [String] = [],
                groups: [String] = [], grantedRights: [String] = [], revokedRights: [String] = [],
                copyRightsFrom: String? = nil, isOwner: Bool = false, quietHours: QuietHours? = nil) {
        self.id = id
        self.name = name ?? id
        self.contact = contact
        self.active = active
        self.roles = roles
        self.groups = groups
        self.grantedRights = grantedRights
        self.revokedRights = revokedRights
        self.copyRightsFrom = copyRightsFrom
        self.isOwner = isOwner
        self.quietHours = quietHours
    }
}

/// Where a group's notices go as one message instead of one per member.
public struct GroupChannel: Sendable, Equatable {
    public let target: String
    public let address: String?
}

/// A custom group: explicit members, nested groups and role-based membership.
public struct GroupDefinition: Sendable, Equatable {
    public let id: String
    public let name: String
    public let members: [String]
    public let groups: [String]
    /// Holders of these roles (exactly) are members.
    public let roles: [String]
    public let channel: GroupChannel?
    /// Where the group is defined: the config, a directory file or SCIM.
    public var source: DirectorySource = .config

    public init(id: String, name: String? = nil, members: [String] = [], groups: [String] = [], roles: [String] = [], channel: GroupChannel? = nil) {
        self.id = id
        self.name = name ?? id
        self.members = members
        self.groups = groups
        self.roles = roles
        self.channel = channel
    }
}

/// Where a secret comes from; the value itself never appears in the config.
public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)
    /// The variable when it is set, else the file: one config serves `make run`
    /// (environment) and systemd (`LoadCredential=` files) alike.
    case environmentOrFile(String, String)

    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .environmentOrFile(let name, let path): "env:\(name) or file:\(path)"
        }
    }
}

/// A webhook target.
public struct TargetDefinition: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// One POST per recipient, to the recipient's own address when they have one.
        case perRecipient = "per-recipient"
        /// One POST per notification listing every recipient routed here.
        case batch
    }

    public let id: String
    /// The URL as written, or empty when `urlSource` gives it (a chat webhook URL is a
    /// credential and may be kept out of the config).
    public let url: String
    public let urlSource: SecretSource?
    public let mode: Mode
    /// How messages are written (`standard`: Herald's signed JSON).
    public let format: ChannelFormat
    /// The format's own settings.
    public let channel: ChannelOptions
    public let headers: [String: String]
    /// Header values read from secret sources at start-up (`Authorization`, …).
    public let secretHeaders: [String: SecretSource]
    /// Most requests per interval; nil sends as fast as `maxConcurrent` allows.
    public let rate: DeliveryRate?
    /// One or two signing secrets (two while rotating).
    public let secrets: [SecretSource]
    public let timeout: Duration
    public let connectTimeout: Duration
    public let maxAttempts: Int
    public let maxAge: Duration
    public let maxConcurrent: Int
    /// Delays before each retry; defaults to the Standard Webhooks schedule.
    public let retrySchedule: [Duration]
    /// Most deliveries waiting in the outbox for this target; past it a new notice's
    /// delivery becomes a dead letter at once (`backlog_full`), so a target that is down
    /// for days cannot grow the state file without bound (issue #22).
    public var maxBacklog: Int = TargetDefinition.defaultMaxBacklog

    /// ≈ 30 MB of outbox rows (≈ 300 bytes each since bodies are written at send time);
    /// a day of one notice a second is 86,400.
    public static let defaultMaxBacklog = 100_000
    /// Accepted values: from one (every notice past the first waits as a dead letter) to
    /// ten million (≈ 3 GB of outbox rows).
    public static let maxBacklogRange = 1...10_000_000

    public static let defaultRetrySchedule: [Duration] = ["0s", "5s", "5m", "30m", "2h", "5h", "10h", "10h"].compactMap(Duration.init(parsing:))
}

/// An API bearer token and what it may do.
public struct TokenDefinition: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable {
        case eventsWrite = "events:write"
        case read
        case admin
        case ack
        /// Provision users and groups through SCIM (`/scim/v2/`).
        case directoryWrite = "directory:write"
    }

    public let id: String
    /// Lower-case hex SHA-256 of the token, when given inline.
    public let sha256: String?
    /// Or the token itself, read at start-up from an environment variable or file.
    public let source: SecretSource?
    public let scopes: [Scope]
}

/// Settings for `herald serve`; every limit has a safe default.
public struct ServerSettings: Sendable, Equatable {
    public var listen: String = "127.0.0.1:8080"
    /// The address people and gateways reach Herald at (`https://herald.example.org`),
    /// the base of every ack link in a webhook; nil derives `http://<listen address>`.
    /// Behind a proxy or TLS terminator only the operator knows it, hence a setting.
    public var publicURL: String?
    /// Simultaneous connections; beyond it new connections are refused.
    public var maxConnections: Int = 1024
    /// Memory per connection for headers and body pieces.
    public var connectionMemoryLimit: Int = 64 * 1024
    /// A connection idle this long is closed (cuts off slow clients).
    public var connectionTimeout: Duration = Duration(seconds: 15)
    /// Largest request body; larger ones get 413.
    public var maxBodyBytes: Int = 4 * 1024 * 1024
    /// Most events in one `{"events": [...]}` request.
    public var maxBatchEvents: Int = 1000
    /// Events waiting for evaluation and commit; beyond it requests get 429.
    public var queueDepth: Int = 50_000
    /// How long an event id is remembered for de-duplication.
    public var idempotencyWindow: Duration = Duration(seconds: 86_400)
    /// Most event ids remembered (in memory and in the store) for de-duplication. Each
    /// costs ≈ 100 bytes of memory, and the window alone bounds nothing: 1,000 events/s for
    /// a day is 86 million ids. Past it the oldest ids are forgotten before the window
    /// ends (counted in `herald_event_ids_forgotten_early_total`).
    public var maxRememberedEventIds: Int = 2_000_000
    /// Accepted values: at least a thousand (fewer would make retries unsafe at any real
    /// rate), at most 100 million (≈ 10 GB, beyond any machine Herald targets).
    public static let rememberedEventIdsRange = 1_000...100_000_000
    public var tokens: [TokenDefinition] = []
    /// Who receives a notice whose rule has no `unrouted` of its own and whose audience
    /// resolved to nobody (see `UnroutedFallback`).
    public var unrouted: UnroutedFallback?
    /// What to do with an event whose metric no rule knows.
    public var unknownMetrics: UnknownMetrics = .accept
    /// Serve HTTPS with this certificate and key; nil serves plain HTTP.
    public var tls: TLSSettings?

    /// `accept`: answered 202, counted in `unmatched` and `herald_events_unmatched_total`;
    /// `reject`: refused with 422 naming the metric, so a producer's typo shows at once.
    public enum UnknownMetrics: String, Sendable, CaseIterable {
        case accept, reject
    }

    public init() {}
}

/// `server.tls`: where the listener's PEM certificate (chain) and private key are read,
/// like secrets — a file (relative names from systemd's `$CREDENTIALS_DIRECTORY`, i.e.
/// `LoadCredential=`) or an environment variable — at start-up and again on every reload,
/// so a renewed certificate is taken without a restart.
public struct TLSSettings: Sendable, Equatable {
    public let certificate: SecretSource
    public let key: SecretSource

    public init(certificate: SecretSource, key: SecretSource) {
        self.certificate = certificate
        self.key = key
    }
}

/// Where a notice goes when its own audience resolves to nobody (everyone excluded, an
/// empty group, a relation the event did not carry): without it such a notice reaches
/// no one, which breaks the promise that every accepted event is delivered or visible.
/// Set on a rule or in `server`; the rule's wins.
public struct UnroutedFallback: Sendable, Equatable {
    /// Who hears it. The rule's `requiredRights` do not apply: the operator chose these
    /// people to catch what the rule could not route, and a fallback that filters its
    /// catchers the same way would reach nobody for the same reason.
    public let notify: [RecipientSelector]
    /// Targets it goes to; empty means the targets the rule may use.
    public let targets: [String]

    public init(notify: [RecipientSelector], targets: [String] = []) {
        self.notify = notify
        self.targets = targets
    }
}
