public import Foundation

/// An operator's decision to hold back notifications matching a pattern for a while
/// (maintenance, a known incident). The daemon records a silenced notification in the
/// audit log as suppressed, with the silence id, instead of delivering it: silenced is
/// never the same as silently dropped.
public struct Silence: Sendable, Equatable, Codable {
    /// What a silence applies to: every field given must match; labels must all be
    /// present on the event with these exact values.
    public struct Matcher: Sendable, Equatable, Codable {
        public var ruleID: String?
        public var subjectID: String?
        public var subjectType: String?
        public var labels: [String: String]

        public init(ruleID: String? = nil, subjectID: String? = nil, subjectType: String? = nil, labels: [String: String] = [:]) {
            self.ruleID = ruleID
            self.subjectID = subjectID
            self.subjectType = subjectType
            self.labels = labels
        }

        /// A matcher with no field matches everything: refused by `validate`.
        public var isEmpty: Bool { ruleID == nil && subjectID == nil && subjectType == nil && labels.isEmpty }

        /// Whether every field given matches the notice (time is not considered here).
        public func matches(_ notification: Notification) -> Bool {
            (ruleID.map { $0 == notification.ruleID } ?? true)
                && (subjectID.map { $0 == notification.subject.id } ?? true)
                && (subjectType.map { $0 == notification.subject.type } ?? true)
                && labels.allSatisfy { notification.event.labels[$0.key] == $0.value }
        }

        private enum CodingKeys: String, CodingKey { case ruleID, subjectID, subjectType, labels }

        /// `labels` may be left out of the JSON (the API and the store write it so).

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            ruleID = try container.decodeIfPresent(String.self, forKey: .ruleID)
            subjectID = try container.decodeIfPresent(String.self, forKey: .subjectID)
            subjectType = try container.decodeIfPresent(String.self, forKey: .subjectType)
            labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        }
    }

    public let id: String
    public let matcher: Matcher
    /// Active from `startsAt` (inclusive) to `endsAt` (exclusive).
    public let startsAt: Date
    public let endsAt: Date
    public let author: String
    public let comment: String

    public init(id: String, matcher: Matcher, startsAt: Date, endsAt: Date, author: String, comment: String) {
        self.id = id
        self.matcher = matcher
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.author = author
        self.comment = comment
    }

    /// Longest silence id.
    public static let maxIDLength = SafeID.maxLength

    /// Silence ids come from the safe id alphabet (`SafeID`): an id travels in a URL path
    /// (`DELETE /v1/silences/{id}`), a log line and a shell, and `/`, `%`, spaces or
    /// combining marks made silences that could not be expired (#17 item 9).
    public static func isSafeID(_ id: String) -> Bool { SafeID.isSafe(id) }

    /// Whether the silence is in force at `date`.
    public func isActive(at date: Date) -> Bool { startsAt <= date && date < endsAt }

    /// Whether this silence holds `notification` back at `date`.
    public func matches(_ notification: Notification, at date: Date) -> Bool {
        isActive(at: date) && matcher.matches(notification)
    }

    /// Whether the silence has ended by `date` (the API lists these as expired).
    public func hasExpired(at date: Date) -> Bool { endsAt <= date }

    /// Checks what the API must refuse before storing a silence.
    public func validate() -> SilenceError? {
        if id.isEmpty { return SilenceError(code: "empty_id", field: "id", message: "a silence needs an id") }
        if !Silence.isSafeID(id) {
            return SilenceError(code: "bad_id", field: "id",
                                message: "silence id '\(id.prefix(64))' \(SafeID.rule)")
        }
        if matcher.isEmpty {
            return SilenceError(code: "empty_matcher", field: "matcher",
                                message: "a silence needs at least one of ruleID, subjectID, subjectType or labels; an empty matcher would silence everything")
        }
        if endsAt <= startsAt {
            return SilenceError(code: "ends_before_start", field: "endsAt", message: "a silence must end after it starts")
        }
        if author.isEmpty { return SilenceError(code: "empty_author", field: "author", message: "a silence needs an author") }
        if comment.isEmpty { return SilenceError(code: "empty_comment", field: "comment", message: "a silence needs a comment saying why") }
        return nil
    }
}

/// Why a silence cannot be stored; the field is the API's JSON field name.
public struct SilenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine code, e.g. `empty_matcher`.
    public let code: String
    public let field: String
    public let message: String

    public var description: String { "\(message) (\(field))" }
}

/// The silences in force, as the daemon keeps them: asked once per notification.
public struct SilenceSet: Sendable, Equatable, ExpressibleByArrayLiteral {
    public var silences: [Silence]

    public init(_ silences: [Silence] = []) { self.silences = silences }

    public init(arrayLiteral elements: Silence...) { self.silences = elements }

    /// The first silence (in order given) holding `notification` back at `date`.
    public func first(matching notification: Notification, at date: Date) -> Silence? {
        silences.first { $0.matches(notification, at: date) }
    }

    /// Silences still in force or yet to start at `date` (for pruning expired ones).
    public func unexpired(at date: Date) -> SilenceSet { SilenceSet(silences.filter { !$0.hasExpired(at: date) }) }
}
