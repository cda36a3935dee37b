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
    public var decoding: BridgeDecoding

    public init(settings: AlertmanagerBridgeSettings, decoding: BridgeDecoding) {
        self.settings = settings
        self.decoding = decoding
    }

    /// Maps every alert; throws only when the body is not an Alertmanager envelope at all.
    public func decode(_ data: Data) throws(EventValidationError) -> BridgeBatch {
        let mapping = settings.mapping
        return try decoding.decode(data, bridge: .alertmanager, mapping: mapping) { alert throws(AlertMapper.Failure) in
            try AlertmanagerBridge.number(mapping.value, alert) ?? mapping.firingValue
        }
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
