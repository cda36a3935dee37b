/// Whether a person can be reached on a target: a per-recipient ntfy or PagerDuty
/// target without a topic or routing key of its own sends to the person's contact
/// field, so a person without one is not sent to there — and `explain` says so,
/// instead of the delivery failing later as a dead letter.
public enum ChannelReach {
    /// A target (and its format) a recipient's notice goes to.
    public struct Route: Sendable, Equatable {
        public let target: String
        public let format: ChannelFormat

        /// `slack-managers (slack)`, as the text explanation shows it.
        public var text: String { "\(target) (\(format.rawValue))" }
    }

    /// A target the rule may use that cannot reach the recipient, and why.
    public struct Unreachable: Sendable, Equatable {
        public let target: String
        public let reason: String
    }

    /// Where one recipient's notice goes, and where it cannot.
    public struct Routes: Sendable, Equatable {
        public var to: [Route] = []
        public var notSent: [Unreachable] = []
    }

    /// Why `userID` cannot be reached on `target`, or nil when they can.
    public static func problem(_ userID: String, on target: TargetDefinition, config: HeraldConfig) -> String? {
        guard target.mode == .perRecipient, target.format.contactIsDestination, let field = target.format.contactField else { return nil }
        let hasDefault = target.format == .ntfy ? target.channel.topic != nil : target.channel.routingKey != nil
        guard !hasDefault else { return nil }
        let handle = config.directory.user(userID).flatMap { config.directory.users[$0].contact.handles[field] }
        return handle == nil ? "no contact '\(field)' for target '\(target.id)'" : nil
    }

    /// Per recipient of `notification`: the targets and formats it goes to, and the
    /// targets it cannot reach with the reason (for `explain`, text and JSON).
    public static func routes(_ notification: Notification, config: HeraldConfig) -> [String: Routes] {
        var routes: [String: Routes] = [:]
        for delivery in DeliveryPlanner.plan(notification, config: config) {
            guard let format = config.targets.first(where: { $0.id == delivery.target })?.format else { continue }
            for person in delivery.recipients {
                routes[person.id, default: Routes()].to.append(Route(target: delivery.target, format: format))
            }
        }
        guard let rule = config.rule(id: notification.ruleID) else { return routes }
        for target in config.targets where rule.targets.isEmpty || rule.targets.contains(target.id) {
            for person in notification.recipients {
                if let problem = problem(person.id, on: target, config: config) {
                    routes[person.id, default: Routes()].notSent.append(Unreachable(target: target.id, reason: problem))
                }
            }
        }
        return routes
    }

    /// Per target the rule may use, the recipients of `notification` it cannot reach
    /// (ids in the notice's order), for the daemon to count and log: a person skipped
    /// for want of a contact field is never skipped silently.
    public static func unreachable(_ notification: Notification, config: HeraldConfig) -> [(target: String, field: String, users: [String])] {
        guard let rule = config.rule(id: notification.ruleID) else { return [] }
        var found: [(target: String, field: String, users: [String])] = []
        for target in config.targets where rule.targets.isEmpty || rule.targets.contains(target.id) {
            guard target.mode == .perRecipient, target.format.contactIsDestination, let field = target.format.contactField else { continue }
            let users = notification.recipients.map(\.id).filter { problem($0, on: target, config: config) != nil }
            if !users.isEmpty { found.append((target.id, field, users)) }
        }
        return found
    }
}
