public import Foundation

/// The envelope Alertmanager (webhook version "4") and Grafana (its webhook contact
/// point, version "1") share: `groupKey`, `groupLabels` and `alerts[]`. Other members
/// (`receiver`, `externalURL`, `orgId`, `title`, …) are read by nobody and tolerated,
/// so a newer sender's additions never break the bridge.
struct AlertEnvelope {
    /// Stable per route and group-label values; part of every alert's idempotency key.
    let groupKey: String
    let groupLabels: [String: String]
    /// Each alert with its path (`alerts[3]`).
    let alerts: [(JSONPath, JSONValue)]

    /// Parses the body; a body that is not such an envelope refuses the whole request.
    static func parse(_ data: Data, maxAlerts: Int) throws(EventValidationError) -> AlertEnvelope {
        let parsed: JSONParser.Document
        do {
            parsed = try JSONParser.parse(data)
        } catch {
            throw EventValidationError(kind: .malformed, problems: [.init(path: "(body)", message: error.description)])
        }
        if !parsed.duplicateKeys.isEmpty {
            throw EventValidationError(kind: .invalid, problems: parsed.duplicateKeys.map { duplicate in
                .init(path: duplicate.path.description, message: "key appears twice in the same object; send it once")
            })
        }
        guard case .object(let members) = parsed.value else {
            throw invalid("(root)", "expected an object with 'alerts', found \(parsed.value.typeName)")
        }
        guard let alertsValue = members["alerts"] else { throw invalid("alerts", "missing required key 'alerts'") }
        guard case .array(let items) = alertsValue else {
            throw invalid("alerts", "expected an array, found \(alertsValue.typeName)")
        }
        if items.count > maxAlerts {
            throw EventValidationError(kind: .tooMany, problems: [.init(path: "alerts", message: "\(items.count) alerts exceed the limit of \(maxAlerts)")])
        }
        var groupKey = ""
        if case .string(let key)? = members["groupKey"] { groupKey = key }
        let base = JSONPath.root.appending("alerts")
        return AlertEnvelope(groupKey: groupKey, groupLabels: stringMap(members["groupLabels"]) ?? [:],
                             alerts: items.enumerated().map { (base.appending($0.offset), $0.element) })
    }

    /// The string members of an object (labels, annotations); nil when not an object.
    /// Non-string members are skipped: neither sender writes them, and a typed
    /// mismatch in a label the mapping does not use must not refuse the alert.
    static func stringMap(_ value: JSONValue?) -> [String: String]? {
        guard case .object(let members)? = value else { return nil }
        var map: [String: String] = [:]
        for (name, member) in members { if case .string(let text) = member { map[name] = text } }
        return map
    }

    private static func invalid(_ path: String, _ message: String) -> EventValidationError {
        EventValidationError(kind: .invalid, problems: [.init(path: path, message: message)])
    }
}
