import Foundation

/// How a target's messages are written: Herald's own signed JSON (`standard`), a JSON
/// body from the operator's template, or the documented request of a receiver people
/// read (facts and limits per receiver in each format's file).
///
/// Chat receivers do not verify Standard Webhooks signatures: their secret is the URL
/// or a key in the body, which is why only `standard` requires signing secrets. Any
/// target with secrets signs its requests (a receiver that does not check ignores the
/// headers), and only a target with secrets offers acknowledgement links, whose keys
/// are derived from them.
public enum ChannelFormat: String, Sendable, CaseIterable {
    case standard
    case template
    case slack
    case teams
    case discord
    case mattermost
    case googleChat = "google-chat"
    case pagerduty
    case ntfy

    /// `standard` targets must have signing secrets; every other format may go unsigned.
    public var requiresSecrets: Bool { self == .standard }

    /// The `contact` field a recipient's own handle on this receiver is read from:
    /// a member id that the message mentions (chat), or the destination itself
    /// (an ntfy topic, a PagerDuty routing key) on a per-recipient target.
    public var contactField: String? {
        switch self {
        case .slack, .mattermost, .discord, .ntfy, .pagerduty: rawValue
        case .standard, .template, .teams, .googleChat: nil
        }
    }

    /// Whether the contact field is the destination (without it a per-recipient target
    /// cannot reach the person unless the target names a default).
    public var contactIsDestination: Bool { self == .ntfy || self == .pagerduty }
}

/// The PagerDuty Events API v2 `payload.severity` values.
public enum PagerDutySeverity: String, Sendable, CaseIterable {
    case critical, error, warning, info
}

/// A target's sending rate: at most `count` requests per `per`; delivery waits between
/// requests rather than bursting into the receiver's 429s.
public struct DeliveryRate: Sendable, Equatable, CustomStringConvertible {
    public let count: Int
    public let per: Duration

    public init(count: Int, per: Duration) {
        self.count = count
        self.per = per
    }

    /// Seconds between the starts of two requests.
    public var interval: Double { per.seconds / Double(count) }

    public var description: String { "\(count)/\(per)" }

    /// Units a rate is written in: `1/s`, `20/min`, `100/h`, or a duration (`1/5s`).
    static let units: [String: Double] = ["s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600]

    /// Most requests a rate may allow per second; beyond it a rate limits nothing.
    public static let maxPerSecond = 1000.0

    /// Parses `N/unit` or `N/duration`; nil when it is neither.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), count > 0 else { return nil }
        let unit = parts[1].trimmingCharacters(in: .whitespaces)
        if let seconds = Self.units[unit] {
            self.init(count: count, per: Duration(seconds: seconds))
        } else if let duration = Duration(parsing: unit), duration.seconds > 0 {
            self.init(count: count, per: duration)
        } else {
            return nil
        }
    }
}
