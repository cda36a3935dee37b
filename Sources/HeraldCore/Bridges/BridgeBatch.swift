/// What a bridge made of one webhook body: an event for each alert it could map, and a
/// refusal — with its reason and place — for each it could not. One bad alert never
/// hides the good ones of its group.
public struct BridgeBatch: Sendable, Equatable {
    public let bridge: BridgeKind
    public let accepted: [BridgeAlert]
    public let refused: [BridgeRefusal]

    /// The events, in the order of the alerts.
    public var events: [MetricEvent] { accepted.map(\.event) }
}

/// The systems Herald has a bridge for; the raw value is the route's last segment and
/// the `bridge` label of the bridge metrics.
public enum BridgeKind: String, Sendable, CaseIterable {
    case alertmanager
    case grafana
}

/// An alert's `status`: both systems send `firing` or `resolved` per alert.
public enum AlertStatus: String, Sendable {
    case firing
    case resolved
}

/// One alert mapped to an event.
public struct BridgeAlert: Sendable, Equatable {
    /// Position in the body's `alerts` array.
    public let index: Int
    public let fingerprint: String?
    public let status: AlertStatus
    public let event: MetricEvent
}

/// One alert that could not become an event, and why.
public struct BridgeRefusal: Sendable, Equatable, CustomStringConvertible {
    /// A closed set: the code is also the `reason` label of
    /// `herald_bridge_alerts_refused_total` and the log key.
    public enum Reason: String, Sendable, CaseIterable {
        /// The alert is not a JSON object.
        case notAnObject = "not_an_object"
        /// `status` is missing or neither `firing` nor `resolved`.
        case badStatus = "bad_status"
        /// A label, annotation or field the mapping needs is absent.
        case missingField = "missing_field"
        /// The value is not a finite number.
        case badValue = "bad_value"
        /// `startsAt`/`endsAt` is not an RFC 3339 time, or too far in the future.
        case badTimestamp = "bad_timestamp"
        /// Longer strings or more labels than an event may carry.
        case tooLarge = "too_large"
        /// No rule knows the metric, and `server.unknownMetrics` is `reject`.
        case unknownMetric = "unknown_metric"
    }

    public let index: Int
    public let fingerprint: String?
    public let reason: Reason
    /// Where in the body, e.g. `alerts[1].labels.alertname`.
    public let path: String
    public let message: String

    /// `alerts[1].labels.alertname: label 'alertname' is missing (it names the metric)`.
    public var description: String { "\(path): \(message)" }
}
