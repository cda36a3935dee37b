public import Foundation

/// Where one webhook of a notification goes, and for whom.
///
/// A destination key (`chat`, `chat@user:u-1`, `chat@group:front-desk`) names the
/// message uniquely within a notification; the address is resolved from the *current*
/// config when the message is sent, so a corrected webhook URL applies to retries too.
public struct PlannedDelivery: Sendable, Equatable {
    public enum Audience: Sendable, Equatable {
        /// Every recipient routed to a batch target.
        case batch
        /// One person on a per-recipient target.
        case user(String)
        /// A group's channel: one message for its members.
        case group(String)
    }

    public let target: String
    public let audience: Audience
    public let recipients: [NotifiedPerson]
    /// When the delivery may go: nil for now, else the end of the recipient's quiet
    /// hours (held deliveries always have one recipient; see `DeliveryPlanner`).
    public let heldUntil: Date?

    public init(target: String, audience: Audience, recipients: [NotifiedPerson], heldUntil: Date? = nil) {
        self.target = target
        self.audience = audience
        self.recipients = recipients
        self.heldUntil = heldUntil
    }

    /// Unique within the notification; stored as the outbox row's destination.
    public var destination: String { Destination(target: target, audience: audience).key }
}

/// The `target[@user:id|@group:id]` key of a planned delivery, and its parser.
public struct Destination: Sendable, Equatable {
    public let target: String
    public let audience: PlannedDelivery.Audience

    public init(target: String, audience: PlannedDelivery.Audience) {
        self.target = target
        self.audience = audience
    }

    public var key: String {
        switch audience {
        case .batch: target
        case .user(let id): "\(target)@user:\(id)"
        case .group(let id): "\(target)@group:\(id)"
        }
    }

    /// Target ids cannot contain '@' (they are config ids checked by the decoder); the
    /// first '@' therefore separates the target from the audience.
    public init?(key: String) {
        guard let at = key.firstIndex(of: "@") else {
            self.init(target: key, audience: .batch)
            return
        }
        let target = String(key[..<at])
        let rest = key[key.index(after: at)...]
        if rest.hasPrefix("user:") {
            self.init(target: target, audience: .user(String(rest.dropFirst(5))))
        } else if rest.hasPrefix("group:") {
            self.init(target: target, audience: .group(String(rest.dropFirst(6))))
        } else {
            return nil
        }
    }

    /// The URL to POST to: the person's or group's own address on the target when
    /// they have one, else the target's URL.
    public func address(in config: HeraldConfig) -> String? {
        guard let target = config.targets.first(where: { $0.id == self.target }) else { return nil }
        switch audience {
        case .batch:
            return target.url
        case .user(let id):
            return config.directory.user(id).flatMap { config.directory.users[$0].contact.addresses[target.id] } ?? target.url
        case .group(let id):
            return config.directory.group(id).flatMap { config.directory.groups[$0].channel?.address } ?? target.url
        }
    }
}

/// One recipient whose notice waits for the end of their quiet hours.
public struct QuietHold: Sendable, Equatable {
    public let userID: String
    public let until: Date
}

/// Splits a notification into webhooks: for each target the rule may use, one message
/// per recipient (per-recipient mode) or one for all (batch mode), except that people
/// chosen through a group with a channel on that target share one message.
///
/// With a time, people inside their quiet hours are held (unless the notice's tier is
/// critical): each held person gets a delivery of their own (`target@user:id`, even
/// on a batch target) carrying `heldUntil`, while everyone else's delivery goes now.
/// A group channel is never held: it is a shared room, not a person.
public enum DeliveryPlanner {
    /// Plans without quiet hours (everything goes now).
    public static func plan(_ notification: Notification, config: HeraldConfig) -> [PlannedDelivery] {
        plan(notification, config: config, holds: [:])
    }

    /// Plans for sending at `now`, holding people who are in quiet hours then.
    public static func plan(_ notification: Notification, config: HeraldConfig, now: Date) -> [PlannedDelivery] {
        let holds = quietHolds(for: notification, config: config, at: now)
        return plan(notification, config: config, holds: Dictionary(holds.map { ($0.userID, $0.until) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Recipients of `notification` in quiet hours at `date`, in recipient order, with
    /// when their hours end; empty when the notice's tier is critical.
    public static func quietHolds(for notification: Notification, config: HeraldConfig, at date: Date) -> [QuietHold] {
        guard let rule = config.rule(id: notification.ruleID) else { return [] }
        let tier = notification.tier.index
        if tier >= 0, tier < rule.tiers.count, rule.tiers[tier].critical { return [] }
        return notification.recipients.compactMap { person in
            guard let u = config.directory.user(person.id),
                  let until = config.directory.users[u].quietHours?.heldUntil(at: date) else { return nil }
            return QuietHold(userID: person.id, until: until)
        }
    }

    private static func plan(_ notification: Notification, config: HeraldConfig, holds: [String: Date]) -> [PlannedDelivery] {
        guard !notification.recipients.isEmpty, let rule = config.rule(id: notification.ruleID) else { return [] }
        // An unrouted notice goes where its fallback says, when it names targets.
        let fallbackTargets = notification.unrouted == true ? config.unrouted(for: rule)?.targets ?? [] : []
        let allowed = fallbackTargets.isEmpty ? rule.targets : fallbackTargets
        let targets = config.targets.filter { allowed.isEmpty || allowed.contains($0.id) }
        return targets.flatMap { plan(notification.recipients, on: $0, config: config, holds: holds) }
    }

    private static func plan(_ recipients: [NotifiedPerson], on target: TargetDefinition, config: HeraldConfig,
                             holds: [String: Date]) -> [PlannedDelivery] {
        var channels: [String: [NotifiedPerson]] = [:]
        var channelOrder: [String] = []
        var individuals: [NotifiedPerson] = []
        for person in recipients {
            if let group = person.viaGroup, let g = config.directory.group(group),
               config.directory.groups[g].channel?.target == target.id {
                if channels[group] == nil { channelOrder.append(group) }
                channels[group, default: []].append(person)
            } else {
                individuals.append(person)
            }
        }
        var planned = channelOrder.map { PlannedDelivery(target: target.id, audience: .group($0), recipients: channels[$0]!) }
        let alone = { (person: NotifiedPerson) in
            PlannedDelivery(target: target.id, audience: .user(person.id), recipients: [person], heldUntil: holds[person.id])
        }
        switch target.mode {
        case .batch:
            let now = individuals.filter { holds[$0.id] == nil }
            if !now.isEmpty { planned.append(PlannedDelivery(target: target.id, audience: .batch, recipients: now)) }
            planned += individuals.filter { holds[$0.id] != nil }.map(alone)
        case .perRecipient:
            planned += individuals.filter { ChannelReach.problem($0.id, on: target, config: config) == nil }.map(alone)
        }
        return planned
    }
}
