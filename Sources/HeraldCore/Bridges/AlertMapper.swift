public import Foundation

/// Maps one alert of an envelope to a `MetricEvent` with an `AlertMapping`, or refuses it
/// with the first problem found. Shared by both bridges; only how a firing alert's value
/// is found differs (`firingValue`).
struct AlertMapper {
    /// One alert's members as the mapping reads them.
    struct Alert {
        let path: JSONPath
        let members: [String: JSONValue]
        let labels: [String: String]
        let annotations: [String: String]

        /// The text of a label or annotation; an empty one counts as absent, as
        /// Alertmanager itself drops empty labels.
        func text(_ field: AlertField) -> String? {
            let value: String? = switch field {
            case .label(let name): labels[name]
            case .annotation(let name): annotations[name]
            }
            return value?.isEmpty == false ? value : nil
        }
    }

    /// Why an alert is refused, before its index and fingerprint are attached.
    struct Failure: Error {
        let reason: BridgeRefusal.Reason
        let path: JSONPath
        let message: String
    }

    let bridge: BridgeKind
    let mapping: AlertMapping
    let envelope: AlertEnvelope
    /// The clock bound, the known-metric check and the event-id hash.
    let decoding: BridgeDecoding
    /// The value of a firing alert; the bridge's own rule.
    let firingValue: (Alert) throws(Failure) -> Double

    /// What became of one alert.
    enum Mapped {
        case event(BridgeAlert)
        case refused(BridgeRefusal)
    }

    func map(_ value: JSONValue, at path: JSONPath, index: Int) -> Mapped {
        var fingerprint: String?
        if case .object(let members) = value, case .string(let text)? = members["fingerprint"], !text.isEmpty { fingerprint = text }
        do throws(Failure) {
            return .event(try mapAlert(value, at: path, index: index, fingerprint: fingerprint))
        } catch {
            return .refused(BridgeRefusal(index: index, fingerprint: fingerprint, reason: error.reason,
                                          path: error.path.description, message: error.message))
        }
    }

    private func mapAlert(_ value: JSONValue, at path: JSONPath, index: Int, fingerprint: String?) throws(Failure) -> BridgeAlert {
        guard case .object(let members) = value else {
            throw Failure(reason: .notAnObject, path: path, message: "expected an alert object, found \(value.typeName)")
        }
        let status = try Self.status(members, at: path)
        guard let labels = AlertEnvelope.stringMap(members["labels"]) else {
            throw Failure(reason: .missingField, path: path.appending("labels"), message: "missing required object 'labels'")
        }
        let alert = Alert(path: path, members: members, labels: labels, annotations: AlertEnvelope.stringMap(members["annotations"]) ?? [:])
        let metric = try required(mapping.metric, alert, purpose: "it names the metric")
        if let isKnownMetric = decoding.isKnownMetric, !isKnownMetric(metric) {
            throw Failure(reason: .unknownMetric, path: mapping.metric.path(in: path),
                          message: "no rule knows metric '\(metric.prefix(64))' (server.unknownMetrics is \"reject\")")
        }
        let subject = try subjectID(alert, fingerprint: fingerprint)
        let (startsAt, startsText) = try Self.startTime(members, at: path)
        if let latest = decoding.latestTimestamp, startsAt > latest {
            throw Failure(reason: .badTimestamp, path: path.appending("startsAt"),
                          message: "'\(startsText.prefix(64))' is more than \(Int(EventDecoder.maxFutureSkew / 60)) minutes in the future; check the sender's clock")
        }
        var timestamp = startsAt
        var number = mapping.resolvedValue
        if status == .resolved {
            // A resolved alert's endsAt is when it stopped; Alertmanager writes year 1 for "not yet".
            if let endsAt = try Self.endTime(members, at: path), endsAt >= startsAt { timestamp = endsAt }
        } else {
            number = try firingValue(alert)
        }
        var relations: [String: String] = [:]
        for (name, field) in mapping.relations { relations[name] = alert.text(field) }
        let event = MetricEvent(
            id: decoding.eventID(Self.keyMaterial([bridge.rawValue, envelope.groupKey, fingerprint ?? Self.canonical(labels), status.rawValue, startsText])),
            metric: metric, value: number,
            subject: MetricEvent.Subject(id: subject, type: mapping.subjectType.flatMap(alert.text), name: mapping.subjectName.flatMap(alert.text)),
            timestamp: timestamp, relations: relations, labels: envelope.groupLabels.merging(labels) { _, own in own })
        try Self.checkBounds(event, at: path)
        return BridgeAlert(index: index, fingerprint: fingerprint, status: status, event: event)
    }

    /// The text of a field the event cannot do without.
    func required(_ field: AlertField, _ alert: Alert, purpose: String) throws(Failure) -> String {
        guard let text = alert.text(field) else {
            throw Failure(reason: .missingField, path: field.path(in: alert.path), message: "\(field) is missing (\(purpose))")
        }
        return text
    }

    private func subjectID(_ alert: Alert, fingerprint: String?) throws(Failure) -> String {
        if let field = mapping.subjectID { return try required(field, alert, purpose: "it is the subject id") }
        guard let fingerprint else {
            throw Failure(reason: .missingField, path: alert.path.appending("fingerprint"),
                          message: "'fingerprint' is missing (it is the subject id unless 'subject.id' names a label)")
        }
        return fingerprint
    }

    private static func status(_ members: [String: JSONValue], at path: JSONPath) throws(Failure) -> AlertStatus {
        guard case .string(let text)? = members["status"], let status = AlertStatus(rawValue: text) else {
            let found = members["status"].map { value -> String in
                if case .string(let text) = value { return "'\(text.prefix(64))'" }
                return "a \(value.typeName)"
            }
            throw Failure(reason: .badStatus, path: path.appending("status"),
                          message: found.map { "'status' is \($0); expected 'firing' or 'resolved'" } ?? "missing required key 'status'")
        }
        return status
    }

    /// `startsAt` and its text, as written (the text is part of the idempotency key).
    private static func startTime(_ members: [String: JSONValue], at path: JSONPath) throws(Failure) -> (Date, String) {
        guard case .string(let text)? = members["startsAt"] else {
            throw Failure(reason: .missingField, path: path.appending("startsAt"), message: "missing required key 'startsAt'")
        }
        guard let date = try time(text, at: path.appending("startsAt")) else {
            throw Failure(reason: .badTimestamp, path: path.appending("startsAt"), message: "'\(text.prefix(64))' is not a start time")
        }
        return (date, text)
    }

    /// `endsAt`, nil when absent or Go's zero time (year 1), which both senders write
    /// for "no end yet".
    private static func endTime(_ members: [String: JSONValue], at path: JSONPath) throws(Failure) -> Date? {
        guard case .string(let text)? = members["endsAt"] else { return nil }
        return try time(text, at: path.appending("endsAt"))
    }

    /// An RFC 3339 time; years before 1900 read as nil (no real alert is that old).
    private static func time(_ text: String, at path: JSONPath) throws(Failure) -> Date? {
        guard let date = EventDecoder.parseTimestamp(text) else {
            if text.hasPrefix("0001-") { return nil }
            throw Failure(reason: .badTimestamp, path: path, message: "'\(text.prefix(64))' is not an RFC 3339 timestamp")
        }
        return date < earliestTime ? nil : date
    }

    /// 1900-01-01T00:00:00Z: anything earlier is a zero time, not a moment.
    static let earliestTime = Date(timeIntervalSince1970: -2_208_988_800)

    /// Events from bridges keep the limits of events posted directly.
    private static func checkBounds(_ event: MetricEvent, at path: JSONPath) throws(Failure) {
        let limit = EventDecoder.maxStringLength
        let strings = [event.metric, event.subject.id, event.subject.name ?? "", event.subject.type ?? ""]
        if strings.contains(where: { $0.utf8.count > limit }) {
            throw Failure(reason: .tooLarge, path: path, message: "the metric or subject is longer than \(limit) bytes")
        }
        for (name, map) in [("labels", event.labels), ("relations", event.relations)] {
            if map.count > EventDecoder.maxMapEntries {
                throw Failure(reason: .tooLarge, path: path.appending(name),
                              message: "the event would have \(map.count) \(name); at most \(EventDecoder.maxMapEntries) are allowed")
            }
            if map.contains(where: { $0.key.utf8.count > limit || $0.value.utf8.count > limit }) {
                throw Failure(reason: .tooLarge, path: path.appending(name), message: "a name or value in \(name) is longer than \(limit) bytes")
            }
        }
    }

    /// The fields joined unambiguously (each prefixed by its byte length), so no two
    /// different field lists give the same key.
    static func keyMaterial(_ fields: [String]) -> String {
        fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
    }

    /// A label set as sorted `name=value` lines: the alert's identity when a sender
    /// omits the fingerprint.
    static func canonical(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
    }
}
