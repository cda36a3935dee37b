public import Foundation
public import HeraldCore
import HeraldDelivery

/// The bridges' one decoding path, shared by the routes and `herald explain --bridge`:
/// the config's mapping, the server's batch limit, and event ids hashed with SHA-256.
public enum BridgeIngest {
    /// `alertmanager:<hex SHA-256 of the key material>`: fixed length whatever the
    /// group key's, and the bridge name keeps the two bridges' ids apart.
    public static func eventID(_ kind: BridgeKind) -> @Sendable (String) -> String {
        { material in "\(kind.rawValue):\(Digest.sha256Hex(Array(material.utf8)))" }
    }

    /// Maps a webhook body; `now` (nil: no check) refuses alerts starting in the future,
    /// and `server.unknownMetrics: "reject"` alerts of metrics no rule knows.
    public static func decode(_ kind: BridgeKind, _ body: Data, config: HeraldConfig, maxAlerts: Int, now: Date?) throws(EventValidationError) -> BridgeBatch {
        var decoding = BridgeDecoding(maxAlerts: maxAlerts, now: now, eventID: eventID(kind))
        if config.server.unknownMetrics == .reject { decoding.isKnownMetric = { @Sendable in config.knowsMetric($0) } }
        switch kind {
        case .alertmanager: return try AlertmanagerBridge(settings: config.bridges.alertmanager, decoding: decoding).decode(body)
        case .grafana: return try GrafanaBridge(settings: config.bridges.grafana, decoding: decoding).decode(body)
        }
    }
}
