public import Foundation

/// Grafana unified alerting's webhook contact point body → events.
///
/// The envelope is Alertmanager's (Grafana runs one inside) plus `orgId`, `title`,
/// `state` and `message`; each alert adds `values` (query ref → number), `valueString`,
/// `dashboardURL`, `panelURL` and `silenceURL`. Mapped as `AlertmanagerBridge` does,
/// except the value of a firing alert, looked for in this order:
/// 1. `values[valueRef]` when `valueRef` is configured (absent: refused);
/// 2. the only entry of `values`;
/// 3. the mapping's `value` label or annotation;
/// 4. `values[conditionRef]` (default `C`, the condition of rules made in Grafana's UI);
/// 5. `firingValue`.
public struct GrafanaBridge: Sendable {
    public let settings: GrafanaBridgeSettings
    public var decoding: BridgeDecoding

    public init(settings: GrafanaBridgeSettings, decoding: BridgeDecoding) {
        self.settings = settings
        self.decoding = decoding
    }

    /// Maps every alert; throws only when the body is not a Grafana webhook envelope at all.
    public func decode(_ data: Data) throws(EventValidationError) -> BridgeBatch {
        let settings = self.settings
        return try decoding.decode(data, bridge: .grafana, mapping: settings.mapping) { alert throws(AlertMapper.Failure) in
            try GrafanaBridge.value(alert, settings)
        }
    }

    static func value(_ alert: AlertMapper.Alert, _ settings: GrafanaBridgeSettings) throws(AlertMapper.Failure) -> Double {
        var values: [String: Double] = [:]
        if case .object(let members)? = alert.members["values"] {
            for (ref, member) in members { if case .number(let n) = member, n.isFinite { values[ref] = n } }
        }
        if let ref = settings.valueRef {
            guard let value = values[ref] else {
                throw AlertMapper.Failure(reason: .missingField, path: alert.path.appending("values").appending(ref),
                                          message: "'values' has no number for ref '\(ref)' (the configured 'valueRef')")
            }
            return value
        }
        if values.count == 1, let only = values.first { return only.value }
        if let value = try AlertmanagerBridge.number(settings.mapping.value, alert) { return value }
        return values[settings.conditionRef] ?? settings.mapping.firingValue
    }
}
