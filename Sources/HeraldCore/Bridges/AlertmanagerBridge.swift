public import Foundation

/// Prometheus Alertmanager's webhook body (version "4") → events.
///
/// Per alert: metric, subject and relations from labels/annotations as the mapping says;
/// value from the `value` annotation (rule authors template `{{ $value }}` into it), else
/// `firingValue`; a resolved alert always gets `resolvedValue`, so its episode resolves.
/// The event id is derived from (groupKey, fingerprint, status, startsAt): Alertmanager
/// re-sends a group every `group_interval`/`repeat_interval`, and an HA pair sends it
/// twice, and every such copy is then a duplicate.
public struct AlertmanagerBridge: Sendable {
    public let settings: AlertmanagerBridgeSettings
    /// Most alerts in one body (the server's `maxBatchEvents`).
    public var maxAlerts: Int
    /// Alerts starting after this are refused; nil: no check.
    public var latestTimestamp: Date?
    /// Key material → event id. The daemon hashes it with SHA-256 (HeraldCore has no
    /// hash of its own); tests see the material itself.
    public let eventID: @Sendable (String) -> String
    /// With `server.unknownMetrics: "reject"`: whether some rule knows a metric; alerts of
    /// other metrics are refused. Nil: every metric is taken.
    public var isKnownMetric: (@Sendable (String) -> Bool)?

    public init(settings: AlertmanagerBridgeSettings, maxAlerts: Int = 1000, now: Date? = nil,
                eventID: @escaping @Sendable (String) -> String) {
        self.settings = settings
        self.maxAlerts = maxAlerts
        self.latestTimestamp = now.map { $0.addingTimeInterval(EventDecoder.maxFutureSkew) }
        self.eventID = eventID
    }

    /// Maps every alert; throws only when the body is not an Alertmanager envelope at all.
    public func decode(_ data: Data) throws(EventValidationError) -> BridgeBatch {
        let envelope = try AlertEnvelope.parse(data, maxAlerts: maxAlerts)
        let mapping = settings.mapping
        let mapper = AlertMapper(bridge: .alertmanager, mapping: mapping, envelope: envelope,
                                 latestTimestamp: latestTimestamp, isKnownMetric: isKnownMetric, eventID: eventID) { alert throws(AlertMapper.Failure) in
            try AlertmanagerBridge.number(mapping.value, alert) ?? mapping.firingValue
        }
        return BridgeDecoding.run(.alertmanager, envelope, mapper)
    }

    static func number(_ field: AlertField, _ alert: AlertMapper.Alert) throws(AlertMapper.Failure) -> Double? {
        guard let text = alert.text(field) else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw AlertMapper.Failure(reason: .badValue, path: field.path(in: alert.path),
                                      message: "\(field) is '\(text.prefix(64))', not a finite number")
        }
        return value
    }
}

/// Runs a mapper over every alert of an envelope.
enum BridgeDecoding {
    static func run(_ bridge: BridgeKind, _ envelope: AlertEnvelope, _ mapper: AlertMapper) -> BridgeBatch {
        var accepted: [BridgeAlert] = []
        var refused: [BridgeRefusal] = []
        for (index, (path, alert)) in envelope.alerts.enumerated() {
            switch mapper.map(alert, at: path, index: index) {
            case .event(let mapped): accepted.append(mapped)
            case .refused(let refusal): refused.append(refusal)
            }
        }
        return BridgeBatch(bridge: bridge, accepted: accepted, refused: refused)
    }
}
