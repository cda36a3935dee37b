/// The one message every human-readable format shows, before any receiver's syntax:
/// a headline a person understands at a glance, the facts behind it, who was told and
/// why, and the acknowledgement link when there is one.
///
/// `[30%] Utilisation variance for Pat Example (participant p-1001): 31 (threshold 30) — escalated from 20%`
///
/// Texts here are plain; each format escapes them for its own syntax and cuts them to
/// its receiver's limits.
public struct ChannelMessage: Sendable, Equatable {
    /// A recipient line: `Pat Example — role:manager`, with a mention when the person
    /// has a handle on this receiver, and their own acknowledgement link when they have one.
    public struct Person: Sendable, Equatable {
        public let name: String
        public let path: String
        public let mention: String?
        public var ackURL: String? = nil
    }

    public let title: String
    /// The rule's own text (`message.text`), filled in; nil for the built-in layout.
    public let text: String?
    /// Label → value, in display order.
    public let facts: [(String, String)]
    public let people: [Person]
    /// The link of a message to one person (or the message's own).
    public let ackURL: String?
    /// Others the notice told, beyond `people` (listed ones first), and how many in all.
    public var alsoTold: [Person] = []
    public var alsoToldTotal = 0

    /// Links listed in "Acknowledge as …" at most: in a shared channel one person has to
    /// act, and a wall of links is no read; the rest are counted.
    public static let maxAckLinks = 10

    public static func == (a: ChannelMessage, b: ChannelMessage) -> Bool {
        a.title == b.title && a.text == b.text && a.facts.map { [$0.0, $0.1] } == b.facts.map { [$0.0, $0.1] }
            && a.people == b.people && a.ackURL == b.ackURL && a.alsoTold == b.alsoTold && a.alsoToldTotal == b.alsoToldTotal
    }

    /// The message of `notice` for a target; `escape` is applied to the values filled
    /// into the rule's templates (the built-in texts are escaped by the format).
    public static func build(_ notice: ChannelNotice, _ context: ChannelContext, escape: (String) -> String = { $0 }) -> ChannelMessage {
        let title = context.message?.title?.render(notice) ?? headline(notice)
        let text = context.message?.text?.render(notice, escape: escape)
        let people = notice.recipients.map { Person(name: $0.name, path: $0.path, mention: context.handles[$0.id], ackURL: $0.ackURL) }
        var message = ChannelMessage(title: title, text: text, facts: facts(notice), people: people, ackURL: notice.ackURL)
        if let others = notice.alsoTold {
            message.alsoTold = others.people.map { Person(name: $0.name, path: $0.path, mention: nil) }
            message.alsoToldTotal = others.total
        }
        return message
    }

    /// The people of a message to several, each with their own link: in a shared channel
    /// each link acts as its person ("Acknowledge as Maya Murphy"). Empty when the
    /// message has one link for all (`ackURL`) or nobody has one.
    public var ackLinks: [Person] { ackURL == nil && people.count > 1 ? people.filter { $0.ackURL != nil } : [] }

    /// `[tier] Rule for Subject: value (threshold t) — what happened`.
    public static func headline(_ n: ChannelNotice) -> String {
        let value = JSONNumber.format(n.value)
        let threshold = JSONNumber.format(n.tier.threshold)
        let head = "\(n.ruleName) for \(subjectText(n.subject))"
        switch n.transition {
        case .resolved:
            return "[resolved] \(head): \(value) (below \(n.tier.name), threshold \(threshold))"
        case .acknowledged:
            return "[\(n.tier.name)] \(head): \(value) (threshold \(threshold)) — acknowledged\(n.actor.map { " by \($0)" } ?? "")"
        default:
            return "[\(n.tier.name)] \(head): \(value) (threshold \(threshold)) — \(happening(n))"
        }
    }

    /// What the transition means to a reader.
    static func happening(_ n: ChannelNotice) -> String {
        if n.reason == NotificationReason.timeout.rawValue {
            return "not acknowledged, escalation step \(n.escalationStep ?? 1)"
        }
        switch n.transition {
        case .firing: return "new"
        case .escalated: return "escalated" + (n.previousTier.map { " from \($0.name)" } ?? "")
        case .deescalated: return "de-escalated" + (n.previousTier.map { " from \($0.name)" } ?? "")
        case .repeated: return "still \(n.tier.name), reminder"
        case .resolved: return "resolved"
        case .acknowledged: return "acknowledged"
        }
    }

    /// `Pat Example (participant p-1001)`, `participant p-1001`, or the bare id.
    public static func subjectText(_ s: MetricEvent.Subject) -> String {
        let kind = s.type.map { "\($0) \(s.id)" } ?? s.id
        guard let name = s.name, !name.isEmpty else { return kind }
        return "\(name) (\(kind))"
    }

    /// The facts as one plain line each, for `{{summary}}` and plain-text formats.
    public static func summary(_ n: ChannelNotice) -> String {
        facts(n).map { "\($0.0): \($0.1)" }.joined(separator: "\n")
    }

    static func facts(_ n: ChannelNotice) -> [(String, String)] {
        var facts: [(String, String)] = [
            ("Rule", n.ruleName),
            ("Tier", "\(n.tier.name) (threshold \(JSONNumber.format(n.tier.threshold)))"),
            ("Value", "\(JSONNumber.format(n.value)) \(n.metric)"),
            ("Subject", subjectText(n.subject)),
        ]
        for (name, user) in n.relations.sorted(by: { $0.key < $1.key }) { facts.append((name, user)) }
        if let actor = n.actor { facts.append(("By", actor)) }
        facts.append(("Episode", "\(n.episodeID) (notice \(n.transition.rawValue))"))
        return facts
    }

    /// `Told: Pat Example (role:manager), …` as plain text, `limit` characters at most.
    public func toldLine(limit: Int, person: (Person) -> String) -> String {
        "Told: " + Truncation.list(people.map(person), separator: ", ", limit: limit - 6)
    }

    /// `Also told: Maya Murphy (role:manager), … and 12 more`, or nil when the notice
    /// told nobody else.
    public func alsoToldLine(limit: Int, person: (Person) -> String) -> String? {
        guard alsoToldTotal > 0 else { return nil }
        return "Also told: " + Truncation.list(alsoTold.map(person), separator: ", ", limit: limit - 11,
                                               unlisted: alsoToldTotal - alsoTold.count)
    }

    /// `Acknowledge as: <link Olivia Owens>, <link Adam Ahmed>` for a message to several
    /// people (`ackLinks`), at most `maxAckLinks` links, or nil. `link` writes one link
    /// in the receiver's syntax from the person and their URL.
    public func ackAsLine(limit: Int, link: (Person, String) -> String) -> String? {
        let links = ackLinks
        guard !links.isEmpty else { return nil }
        let listed = links.prefix(Self.maxAckLinks).map { link($0, $0.ackURL ?? "") }
        return "Acknowledge as: " + Truncation.list(listed, separator: ", ", limit: limit - 16, unlisted: links.count - listed.count)
    }
}
