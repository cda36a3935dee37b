/// Which way a metric must move to reach a tier.
public enum Direction: String, Sendable, CaseIterable, Codable {
    /// value ≥ threshold (utilisation too high).
    case above
    /// value ≤ threshold (stock too low); more severe tiers have lower thresholds.
    case below
    /// |value| ≥ threshold; utilisation variance can be negative.
    case absolute
}

/// Who a tier notifies, as written in the config.
public enum RecipientSelector: Sendable, Hashable, CustomStringConvertible {
    /// One user by id.
    case user(String)
    /// Holders of a role; with `andAbove`, also holders of every role that includes it.
    case role(String, andAbove: Bool)
    /// Members of a group (role-derived or custom, nested groups included).
    case group(String)
    /// The user the event names under this relation, e.g. `primary_coordinator`.
    case relation(String)
    /// The business owner.
    case owner

    public var description: String {
        switch self {
        case .user(let id): "user:\(id)"
        case .role(let id, let andAbove): "role:\(id)\(andAbove ? " and above" : "")"
        case .group(let id): "group:\(id)"
        case .relation(let name): "relation:\(name)"
        case .owner: "owner"
        }
    }
}

/// One threshold of a rule and the people it tells.
public struct Tier: Sendable, Equatable {
    public let name: String
    public let threshold: Double
    public let notify: [RecipientSelector]
    /// Critical tiers reach people even inside their quiet hours.
    public let critical: Bool
    /// Who is told, and when, if nobody acknowledges an episode in this tier.
    public let escalation: EscalationChain?

    public init(name: String, threshold: Double, notify: [RecipientSelector], critical: Bool = false,
                escalation: EscalationChain? = nil) {
        self.name = name
        self.threshold = threshold
        self.notify = notify
        self.critical = critical
        self.escalation = escalation
    }
}

/// A threshold rule on one metric: ordered tiers (least to most severe), who each tells,
/// which rights a recipient needs, and how the tier state machine behaves.
public struct Rule: Sendable, Equatable {
    public let id: String
    public let name: String
    public let metric: String
    /// Events match only when every label here is present with this exact value.
    public let labels: [String: String]
    public let direction: Direction
    public let tiers: [Tier]
    /// Rights every recipient must hold (the event may concern private data).
    public let requiredRights: [String]
    /// Delivery targets this rule may use; empty means every target.
    public let targets: [String]
    /// Whether a higher tier also tells the audiences of the tiers below.
    public let cumulative: Bool
    /// Margin a value must cross back beyond a threshold before the tier is left.
    public let hysteresis: Double
    /// Re-send the current tier's notice when it has lasted this long since the last one.
    public let repeatAfter: Duration?
    /// Send `resolved` to everyone told when the value falls below the lowest tier.
    public let notifyResolved: Bool
    /// Send `deescalated` to everyone told when the value falls to a lower tier.
    public let notifyDeescalated: Bool
    /// Holders of any of these rights may acknowledge, unacknowledge or resolve any
    /// episode of the rule, besides the people it notified.
    public let acknowledgeRights: [String]
    /// Send `acknowledged` to everyone told when someone acknowledges.
    public let notifyAcknowledged: Bool
    /// Who hears this rule's notices that resolve to nobody (else `server.unrouted`).
    public let unrouted: UnroutedFallback?
    /// The rule's own title and text for human-readable channel formats.
    public let message: MessageTemplate?

    public init(id: String, name: String? = nil, metric: String, labels: [String: String] = [:],
                direction: Direction = .above, tiers: [Tier], requiredRights: [String] = [],
                targets: [String] = [], cumulative: Bool = false, hysteresis: Double = 0,
                repeatAfter: Duration? = nil, notifyResolved: Bool = true, notifyDeescalated: Bool = false,
                acknowledgeRights: [String] = [], notifyAcknowledged: Bool = true, unrouted: UnroutedFallback? = nil,
                message: MessageTemplate? = nil) {
        self.id = id
        self.name = name ?? id
        self.metric = metric
        self.labels = labels
        self.direction = direction
        self.tiers = tiers
        self.tierSignature = Rule.tierSignature(direction, tiers)
        self.requiredRights = requiredRights
        self.targets = targets
        self.cumulative = cumulative
        self.hysteresis = hysteresis
        self.repeatAfter = repeatAfter
        self.notifyResolved = notifyResolved
        self.notifyDeescalated = notifyDeescalated
        self.acknowledgeRights = acknowledgeRights
        self.notifyAcknowledged = notifyAcknowledged
        self.unrouted = unrouted
        self.message = message
    }

    /// The index of the tier named `name`, if the rule has one.
    public func tierIndex(named name: String) -> Int? { tiers.firstIndex { $0.name == name } }

    /// Whether an event's metric and labels select this rule.
    public func matches(_ event: MetricEvent) -> Bool {
        event.metric == metric && labels.allSatisfy { event.labels[$0.key] == $0.value }
    }

    /// Identifies the tier layout so a reload that changed thresholds is noticed and the
    /// current tier is re-derived silently instead of producing a spurious notice.
    /// Computed once, in `init`: evaluation compares it for every matched rule of every event.
    public let tierSignature: String

    static func tierSignature(_ direction: Direction, _ tiers: [Tier]) -> String {
        "\(direction.rawValue):" + tiers.map { "\($0.name)=\(JSONNumber.format($0.threshold))" }.joined(separator: ",")
    }
}
