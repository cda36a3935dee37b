public import Foundation

/// What every bridge decodes with besides its own settings: the body's limit, the clock
/// bound, the event-id hash and the known-metric check, all supplied by the daemon. One
/// value shared by both bridges, which differ only in how a firing alert's value is found.
public struct BridgeDecoding: Sendable {
    /// Most alerts in one body (the server's `maxBatchEvents`).
    public var maxAlerts: Int
    /// Alerts that start after this are refused (a sender's clock far ahead would make
    /// every later event of the subject look out of order). Nil: no check.
    public var latestTimestamp: Date?
    /// Key material → event id. The daemon hashes it with SHA-256 (HeraldCore has no
    /// hash of its own); tests see the material itself.
    public let eventID: @Sendable (String) -> String
    /// With `server.unknownMetrics: "reject"`: whether some rule knows a metric; alerts of
    /// other metrics are refused. Nil: every metric is taken.
    public var isKnownMetric: (@Sendable (String) -> Bool)?

    public init(maxAlerts: Int = 1000, now: Date? = nil, eventID: @escaping @Sendable (String) -> String) {
        self.maxAlerts = maxAlerts
        self.latestTimestamp = now.map { $0.addingTimeInterval(EventDecoder.maxFutureSkew) }
        self.eventID = eventID
    }

    /// Maps every alert of `data` with `mapping`; throws only when the body is not an
    /// Alertmanager envelope at all.
    func decode(_ data: Data, bridge: BridgeKind, mapping: AlertMapping,
                firingValue: @escaping (AlertMapper.Alert) throws(AlertMapper.Failure) -> Double) throws(EventValidationError) -> BridgeBatch {
        let envelope = try AlertEnvelope.parse(data, maxAlerts: maxAlerts)
        let mapper = AlertMapper(bridge: bridge, mapping: mapping, envelope: envelope, decoding: self, firingValue: firingValue)
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
