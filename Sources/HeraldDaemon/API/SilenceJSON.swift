import Foundation
import HeraldCore
import HeraldStore

/// Silences as JSON: the API's and the `--silences` file's form (RFC 3339 times), and
/// the store's body (the core's `Codable`, times in milliseconds).
///
/// API form: `{"id"?, "matcher": {"ruleID"?, "subjectID"?, "subjectType"?, "labels"?},
/// "startsAt"?, "endsAt" | "duration", "author", "comment"}`. Listings add `createdAt`
/// and `status` (`pending`, `active`, `expired`); reading ignores them, so a listing's
/// entries can be fed back to `herald explain --silences`.
enum SilenceJSON {
    /// A problem with one field of a silence, for a 422 naming it.
    struct FieldError: Error, Equatable {
        let field: String
        let message: String
    }

    /// Longest silence accepted: a year. A silence is a temporary decision; one longer
    /// than this is a rule change in disguise and should be made in the config.
    static let maxDuration: TimeInterval = 366 * 86_400

    /// Parses and validates one silence object; `now` fills a missing `startsAt`, and
    /// `makeID` a missing `id`.
    static func parse(_ value: Any, now: Date, makeID: () -> String) -> Result<Silence, FieldError> {
        guard let object = value as? [String: Any] else { return .failure(FieldError(field: "(body)", message: "a silence is a JSON object")) }
        let known: Set<String> = ["id", "matcher", "startsAt", "endsAt", "duration", "author", "comment", "createdAt", "status"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(FieldError(field: unknown, message: "unknown key '\(unknown)'"))
        }
        do {
            let id = try string(object, "id") ?? makeID()
            let matcher = try parseMatcher(object["matcher"])
            let startsAt = try time(object, "startsAt") ?? now
            let endsAt: Date
            if let end = try time(object, "endsAt") {
                endsAt = end
            } else if let text = try string(object, "duration") {
                guard let duration = HeraldCore.Duration(parsing: text) else {
                    throw FieldError(field: "duration", message: "'\(text.prefix(64))' is not a duration; use e.g. '30m', '2h' or '1d'")
                }
                endsAt = startsAt.addingTimeInterval(duration.seconds)
            } else {
                throw FieldError(field: "endsAt", message: "a silence needs 'endsAt' or 'duration'")
            }
            guard endsAt.timeIntervalSince(startsAt) <= maxDuration else {
                throw FieldError(field: "endsAt", message: "a silence may last at most 366 days")
            }
            let silence = Silence(id: id, matcher: matcher, startsAt: startsAt, endsAt: endsAt,
                                  author: try string(object, "author") ?? "", comment: try string(object, "comment") ?? "")
            if let problem = silence.validate() { throw FieldError(field: problem.field, message: problem.message) }
            return .success(silence)
        } catch let error as FieldError {
            return .failure(error)
        } catch {
            return .failure(FieldError(field: "(body)", message: "\(error)"))
        }
    }

    private static func parseMatcher(_ value: Any?) throws -> Silence.Matcher {
        guard let value else { throw FieldError(field: "matcher", message: "a silence needs a matcher") }
        guard let object = value as? [String: Any] else { throw FieldError(field: "matcher", message: "'matcher' must be an object") }
        let known: Set<String> = ["ruleID", "subjectID", "subjectType", "labels"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw FieldError(field: "matcher.\(unknown)", message: "unknown key '\(unknown)'; use ruleID, subjectID, subjectType or labels")
        }
        var labels: [String: String] = [:]
        if let raw = object["labels"], !(raw is NSNull) {
            guard let map = raw as? [String: Any], map.values.allSatisfy({ $0 is String }) else {
                throw FieldError(field: "matcher.labels", message: "'labels' must map names to strings")
            }
            labels = map.compactMapValues { $0 as? String }
        }
        return Silence.Matcher(ruleID: try string(object, "ruleID", prefix: "matcher."), subjectID: try string(object, "subjectID", prefix: "matcher."),
                               subjectType: try string(object, "subjectType", prefix: "matcher."), labels: labels)
    }

    private static func string(_ object: [String: Any], _ key: String, prefix: String = "") throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw FieldError(field: prefix + key, message: "'\(key)' must be a string") }
        guard text.utf8.count <= 1024 else { throw FieldError(field: prefix + key, message: "'\(key)' is longer than 1024 bytes") }
        return text
    }

    private static func time(_ object: [String: Any], _ key: String) throws -> Date? {
        guard let text = try string(object, key) else { return nil }
        guard let date = EventDecoder.parseTimestamp(text) else {
            throw FieldError(field: key, message: "'\(text.prefix(64))' is not an RFC 3339 timestamp")
        }
        return date
    }

    /// The API form, with `status` at `now` (and `createdAt` when known).
    static func object(_ silence: Silence, createdAt: Date?, now: Date) -> [String: Any] {
        var matcher: [String: Any] = ["labels": silence.matcher.labels]
        if let v = silence.matcher.ruleID { matcher["ruleID"] = v }
        if let v = silence.matcher.subjectID { matcher["subjectID"] = v }
        if let v = silence.matcher.subjectType { matcher["subjectType"] = v }
        var object: [String: Any] = [
            "id": silence.id, "matcher": matcher, "author": silence.author, "comment": silence.comment,
            "startsAt": NotificationJSON.timestamp(silence.startsAt), "endsAt": NotificationJSON.timestamp(silence.endsAt),
            "status": silence.hasExpired(at: now) ? "expired" : silence.isActive(at: now) ? "active" : "pending",
        ]
        if let createdAt { object["createdAt"] = NotificationJSON.timestamp(createdAt) }
        return object
    }

    // MARK: - Store body

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func record(_ silence: Silence, createdAt: Date) -> SilenceRecord {
        SilenceRecord(id: silence.id, body: (try? encoder.encode(silence)) ?? Data(), startsAt: silence.startsAt,
                      endsAt: silence.endsAt, createdAt: createdAt)
    }

    /// The stored silence, or nil for an unreadable body (reported by the caller).
    static func silence(_ record: SilenceRecord) -> Silence? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try? decoder.decode(Silence.self, from: record.body)
    }

    /// The same silence ended at `now` (a pending one ends before it starts: both become
    /// `now`), for expiring by hand.
    static func expired(_ silence: Silence, at now: Date) -> Silence {
        guard !silence.hasExpired(at: now) else { return silence }
        return Silence(id: silence.id, matcher: silence.matcher, startsAt: min(silence.startsAt, now), endsAt: now,
                       author: silence.author, comment: silence.comment)
    }

    /// A fresh id: `sil-` and 12 hex digits of a random UUID.
    static func newID() -> String {
        "sil-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    }
}
