public import Foundation
import Glibc

/// Decodes the body of `POST /v1/events` (or an event file for `herald explain`):
/// one event object, or `{"events": [ … ]}`. All-or-nothing: any invalid event rejects
/// the whole request, with every problem named by its path (`events[3].value`).
public struct EventDecoder: Sendable {
    /// Most events accepted in one batch.
    public var maxBatch: Int
    /// Events timestamped after this are refused: one event from a clock far ahead
    /// would make every later event of its subject look out of order. Nil: no check.
    public var latestTimestamp: Date?
    /// How far ahead of the receiving clock an event may be (clock skew between hosts).
    public static let maxFutureSkew: TimeInterval = 300
    /// Longest id, metric, label or relation string; keeps rows and metrics bounded.
    public static let maxStringLength = 512
    /// Most labels or relations on one event.
    public static let maxMapEntries = 64
    /// With `server.unknownMetrics: "reject"`: whether some rule knows a metric; an event
    /// whose metric none knows is then refused at `metric` (422). Nil: every metric is taken.
    public var isKnownMetric: (@Sendable (String) -> Bool)?

    public init(maxBatch: Int = 1000, now: Date? = nil) {
        self.maxBatch = maxBatch
        self.latestTimestamp = now.map { $0.addingTimeInterval(EventDecoder.maxFutureSkew) }
    }

    /// Decodes and validates; throws every problem found.
    public func decode(_ data: Data) throws(EventValidationError) -> [MetricEvent] {
        let parsed: JSONParser.Document
        do {
            parsed = try JSONParser.parse(data)
        } catch {
            throw EventValidationError(kind: .malformed, problems: [.init(path: "(body)", message: error.description)])
        }
        // Parsers disagree on which of two equal keys wins (Foundation keeps the last, a
        // proxy or the producer's own check may read the first): refuse the ambiguity.
        if !parsed.duplicateKeys.isEmpty {
            throw EventValidationError(kind: .invalid, problems: parsed.duplicateKeys.map { duplicate in
                .init(path: duplicate.path.description, message: "key appears twice in the same object; send it once")
            })
        }
        return try decode(parsed.value)
    }

    public func decode(_ root: JSONValue) throws(EventValidationError) -> [MetricEvent] {
        let diagnostics = ConfigDiagnostics()
        var events: [MetricEvent] = []
        if case .object(let members) = root, members["events"] != nil {
            guard var reader = ObjectReader(root, at: .root, diagnostics), let items = reader.array("events", required: true) else {
                throw EventValidationError(diagnostics)
            }
            reader.finish()
            if items.isEmpty { diagnostics.error("empty_value", JSONPath.root.appending("events"), "'events' must not be empty") }
            if items.count > maxBatch {
                throw EventValidationError(kind: .tooMany, problems: [.init(path: "events", message: "batch of \(items.count) events exceeds the limit of \(maxBatch)")])
            }
            events = items.compactMap { decodeEvent($1, at: $0, diagnostics) }
        } else if let event = decodeEvent(root, at: .root, diagnostics) {
            events = [event]
        }
        if diagnostics.hasErrors { throw EventValidationError(diagnostics) }
        return events
    }

    func decodeEvent(_ value: JSONValue, at path: JSONPath, _ diagnostics: ConfigDiagnostics) -> MetricEvent? {
        guard var reader = ObjectReader(value, at: path, diagnostics) else { return nil }
        let id = boundedString(&reader, "id", at: path, diagnostics)
        let metric = boundedString(&reader, "metric", required: true, at: path, diagnostics)
        if let metric, let isKnownMetric, !isKnownMetric(metric) {
            diagnostics.error("unknown_metric", path.appending("metric"),
                              "no rule knows metric '\(metric)' (server.unknownMetrics is \"reject\")")
        }
        let number = reader.number("value", required: true)
        let subject = decodeSubject(&reader, at: path, diagnostics)
        var timestamp: Date?
        if let text = reader.string("timestamp") {
            timestamp = EventDecoder.parseTimestamp(text)
            if timestamp == nil {
                diagnostics.error("bad_timestamp", path.appending("timestamp"), "'\(text.prefix(64))' is not an RFC 3339 timestamp like 2026-11-23T10:15:00Z")
            } else if let latest = latestTimestamp, let stamp = timestamp, stamp > latest {
                diagnostics.error("future_timestamp", path.appending("timestamp"),
                                  "'\(text.prefix(64))' is more than \(Int(EventDecoder.maxFutureSkew / 60)) minutes in the future; check the sender's clock")
            }
        }
        let relations = boundedMap(&reader, "relations", at: path, diagnostics)
        let labels = boundedMap(&reader, "labels", at: path, diagnostics)
        reader.finish()
        guard let metric, let number, let subject else { return nil }
        return MetricEvent(id: id, metric: metric, value: number, subject: subject, timestamp: timestamp,
                           relations: relations, labels: labels)
    }

    private func decodeSubject(_ reader: inout ObjectReader, at path: JSONPath, _ diagnostics: ConfigDiagnostics) -> MetricEvent.Subject? {
        let subjectPath = path.appending("subject")
        guard let value = reader.raw("subject") else {
            diagnostics.error("missing_key", subjectPath, "missing required key 'subject'")
            return nil
        }
        guard var subject = ObjectReader(value, at: subjectPath, diagnostics) else { return nil }
        let id = boundedString(&subject, "id", required: true, at: subjectPath, diagnostics)
        let result = MetricEvent.Subject(id: id ?? "", type: boundedString(&subject, "type", at: subjectPath, diagnostics),
                                         name: boundedString(&subject, "name", at: subjectPath, diagnostics))
        subject.finish()
        return id == nil ? nil : result
    }

    private func boundedString(_ reader: inout ObjectReader, _ key: String, required: Bool = false,
                               at path: JSONPath, _ diagnostics: ConfigDiagnostics) -> String? {
        guard let text = reader.string(key, required: required) else { return nil }
        guard text.utf8.count <= EventDecoder.maxStringLength else {
            diagnostics.error("too_long", path.appending(key), "'\(key)' is longer than \(EventDecoder.maxStringLength) bytes")
            return nil
        }
        return text
    }

    private func boundedMap(_ reader: inout ObjectReader, _ key: String, at path: JSONPath, _ diagnostics: ConfigDiagnostics) -> [String: String] {
        let map = reader.stringMap(key)
        if map.count > EventDecoder.maxMapEntries {
            diagnostics.error("too_many", path.appending(key), "'\(key)' has \(map.count) entries; at most \(EventDecoder.maxMapEntries) are allowed")
            return [:]
        }
        if map.contains(where: { $0.key.utf8.count > EventDecoder.maxStringLength || $0.value.utf8.count > EventDecoder.maxStringLength }) {
            diagnostics.error("too_long", path.appending(key), "'\(key)' has a name or value longer than \(EventDecoder.maxStringLength) bytes")
            return [:]
        }
        return map
    }

    /// RFC 3339 with or without fractional seconds. The common form goes through
    /// `parseCommonTimestamp` (≈ 0.1 µs); anything it does not take — other years,
    /// offsets or spellings Foundation also accepts — through `Date.ISO8601FormatStyle`
    /// (1–2 µs), so what is accepted and its value stay Foundation's.
    public static func parseTimestamp(_ text: String) -> Date? {
        // RFC 3339 §5.6 (note): the `T` separator and `Z` zone may be written in lower
        // case. Every other character of a timestamp is a digit or punctuation, so
        // upper-casing the whole text is exact.
        let text = text.utf8.contains(where: { $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: "z") }) ? text.uppercased() : text
        if let date = parseCommonTimestamp(text) { return date }
        // Try the form the text has first: a failed parse costs as much as a good one.
        let fractional = text.contains(".")
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: fractional)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: !fractional))
    }
}

extension EventDecoder {
    /// Years the fast path takes. Before the Gregorian reform (1582) Foundation counts
    /// Julian days while `timegm` is proleptic Gregorian; 1900 keeps well clear of it.
    static let fastTimestampYears = 1900...9999
    /// Largest UTC offset hour the fast path takes: real zones span −12…+14, and
    /// Foundation refuses some larger offsets (−23:59) that it must keep deciding.
    static let fastTimestampMaxOffsetHours = 14
    /// Most fractional-second digits the fast path takes (nanoseconds; Foundation refuses
    /// some longer fractions, so those are left to it).
    static let fastTimestampMaxFractionDigits = 9

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` exactly, or nil to let Foundation
    /// decide. Digits and ranges are checked here; the calendar is glibc's `timegm`, and
    /// a date it has to normalise (February 30, second 60) is left to Foundation too.
    static func parseCommonTimestamp(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count >= 20, bytes.count <= 35, bytes[4] == ASCII.minus, bytes[7] == ASCII.minus,
                  bytes[10] == UInt8(ascii: "T"), bytes[13] == ASCII.colon, bytes[16] == ASCII.colon,
                  let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let day = digits(bytes, 8, 2),
                  let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2), let second = digits(bytes, 17, 2),
                  fastTimestampYears.contains(year), (1...12).contains(month), (1...31).contains(day),
                  hour <= 23, minute <= 59, second <= 59 else { return nil }
            var index = 19
            var fraction = 0.0
            if bytes[index] == ASCII.dot {
                let start = index + 1
                index = start
                while index < bytes.count, bytes[index] &- ASCII.zero < 10 { index += 1 }
                let count = index - start
                guard (1...fastTimestampMaxFractionDigits).contains(count), let value = digits(bytes, start, count) else { return nil }
                fraction = Double(value) / pow(10, Double(count))
            }
            guard let offset = utcOffset(bytes, from: index) else { return nil }
            var fields = tm()
            fields.tm_year = Int32(year - 1900)
            fields.tm_mon = Int32(month - 1)
            fields.tm_mday = Int32(day)
            fields.tm_hour = Int32(hour)
            fields.tm_min = Int32(minute)
            fields.tm_sec = Int32(second)
            let seconds = timegm(&fields)
            // timegm normalises the fields in place: a changed day means no such date.
            guard fields.tm_mday == Int32(day), fields.tm_mon == Int32(month - 1) else { return nil }
            return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
        }
    }

    /// `Z` or `±HH:MM` ending the text at `index`, in seconds east of UTC.
    private static func utcOffset(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        if index + 1 == bytes.count, bytes[index] == UInt8(ascii: "Z") { return 0 }
        guard index + 6 == bytes.count, bytes[index] == ASCII.plus || bytes[index] == ASCII.minus, bytes[index + 3] == ASCII.colon,
              let hours = digits(bytes, index + 1, 2), let minutes = digits(bytes, index + 4, 2),
              hours <= fastTimestampMaxOffsetHours, minutes <= 59 else { return nil }
        let offset = hours * 3600 + minutes * 60
        return bytes[index] == ASCII.minus ? -offset : offset
    }

    /// The decimal number written by `count` ASCII digits at `start`, or nil.
    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for index in start..<start + count {
            let digit = bytes[index] &- ASCII.zero
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}

/// Why a request's events were refused, each problem with its path.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Not JSON at all (HTTP 400).
        case malformed
        /// JSON, but an event is invalid (HTTP 422).
        case invalid
        /// More events than the batch limit (HTTP 413).
        case tooMany
    }

    public struct Problem: Sendable, Equatable {
        public let path: String
        public let message: String
    }

    public let kind: Kind
    public let problems: [Problem]

    init(kind: Kind, problems: [Problem]) {
        self.kind = kind
        self.problems = problems
    }

    init(_ diagnostics: ConfigDiagnostics) {
        self.kind = .invalid
        self.problems = diagnostics.issues.map { Problem(path: $0.path.description, message: $0.message) }
    }

    public var description: String {
        problems.map { "\($0.path): \($0.message)" }.joined(separator: "\n")
    }
}
