public import Foundation
public import HeraldCore
import HeraldStore

/// The store side of `herald silences`: list, add, expire and delete silences without the
/// daemon (SQLite in WAL mode allows this while it runs; the daemon re-reads silences
/// every `EvaluationLoop.silenceRefreshInterval`). Also reads `--silences` files for
/// `herald explain`.
public enum SilenceTool {
    public typealias Failure = ToolFailure

    /// What `herald silences add` was given; nil fields are left out of the silence.
    public struct Draft: Sendable {
        public var id: String?
        public var ruleID: String?
        public var subjectID: String?
        public var subjectType: String?
        public var labels: [String: String] = [:]
        public var startsAt: String?
        public var endsAt: String?
        public var duration: String?
        public var author: String?
        public var comment: String?

        public init() {}

        /// The API form, so the CLI validates exactly as `POST /v1/silences` does.
        var object: [String: Any] {
            var matcher: [String: Any] = ["labels": labels]
            if let ruleID { matcher["ruleID"] = ruleID }
            if let subjectID { matcher["subjectID"] = subjectID }
            if let subjectType { matcher["subjectType"] = subjectType }
            var object: [String: Any] = ["matcher": matcher]
            for (key, value) in [("id", id), ("startsAt", startsAt), ("endsAt", endsAt), ("duration", duration),
                                 ("author", author), ("comment", comment)] {
                if let value { object[key] = value }
            }
            return object
        }
    }

    public static func list(stateDirectory: String?, all: Bool, json: Bool) -> Result<String, Failure> {
        LocalState.run(stateDirectory) { store in
            let now = Date()
            let silences = try store.silences(endingAfter: all ? nil : now).compactMap { record in
                SilenceJSON.silence(record).map { ($0, record.createdAt) }
            }
            if json {
                let items = silences.map { SilenceJSON.object($0.0, createdAt: $0.1, now: now) }
                return String(decoding: ExplanationRenderer.serialize(["silences": items]), as: UTF8.self) + "\n"
            }
            if silences.isEmpty { return all ? "no silences\n" : "no silences in force or pending (--all lists ended ones)\n" }
            return silences.map { silence, _ in
                let status = SilenceJSON.object(silence, createdAt: nil, now: now)["status"] as? String ?? ""
                return "\(silence.id)  \(status)  \(NotificationJSON.timestamp(silence.startsAt)) → \(NotificationJSON.timestamp(silence.endsAt))  " +
                    "\(matcherText(silence.matcher))\n    by \(silence.author): \(silence.comment)\n"
            }.joined()
        }
    }

    public static func add(_ draft: Draft, stateDirectory: String?) -> Result<String, Failure> {
        let now = Date()
        let silence: Silence
        switch SilenceJSON.parse(draft.object, now: now, makeID: SilenceJSON.newID) {
        case .failure(let problem): return .failure(Failure(message: "\(problem.message) (\(problem.field))"))
        case .success(let parsed): silence = parsed
        }
        return LocalState.run(stateDirectory) { store in
            let audit = OperatorAudit.silence(.silence, silence, createdAt: now, actor: OperatorAudit.localActor(), now: now)
            guard try store.applyOperatorChange(.addSilence(SilenceJSON.record(silence, createdAt: now)), audit: audit) else {
                throw Failure(message: "a silence with id '\(silence.id)' exists already")
            }
            return "added silence \(silence.id) until \(NotificationJSON.timestamp(silence.endsAt)); " +
                "a running daemon applies it within \(refreshSeconds) s\n"
        }
    }

    /// Why `--rule` names no rule of the config at `configPath` (or the config cannot be
    /// read); nil when the rule exists.
    public static func unknownRuleProblem(_ rule: String, configPath: String) -> String? {
        switch Result(catching: { try RuntimeConfig.loadConfigOnly(path: configPath) }) {
        case .success(let config): return config.unknownRuleProblem(rule).map { "\($0) (in \(configPath))" }
        case .failure(let error): return "cannot check --rule: \(error)"
        }
    }

    public static func expire(_ id: String, stateDirectory: String?) -> Result<String, Failure> {
        LocalState.run(stateDirectory) { store in
            guard let record = try store.silence(id: id), let silence = SilenceJSON.silence(record) else {
                throw Failure(message: "no silence '\(id)'")
            }
            let now = Date()
            let expired = SilenceJSON.expired(silence, at: now)
            guard expired != silence else { return "silence \(id) had already ended\n" }
            let audit = OperatorAudit.silence(.expireSilence, expired, createdAt: record.createdAt,
                                              actor: OperatorAudit.localActor(), now: now)
            guard try store.applyOperatorChange(.replaceSilence(SilenceJSON.record(expired, createdAt: record.createdAt)), audit: audit) else {
                throw Failure(message: "no silence '\(id)'")
            }
            return "expired silence \(id); a running daemon applies it within \(refreshSeconds) s\n"
        }
    }

    public static func delete(_ id: String, stateDirectory: String?) -> Result<String, Failure> {
        LocalState.run(stateDirectory) { store in
            guard let record = try store.silence(id: id) else { throw Failure(message: "no silence '\(id)'") }
            let deleted: Bool
            if let silence = SilenceJSON.silence(record) {
                let audit = OperatorAudit.silence(.deleteSilence, silence, createdAt: record.createdAt,
                                                  actor: OperatorAudit.localActor(), now: Date())
                deleted = try store.applyOperatorChange(.deleteSilence(id: id), audit: audit)
            } else {
                deleted = try store.deleteSilence(id: id)   // unreadable: nothing to put in a record
            }
            guard deleted else { throw Failure(message: "no silence '\(id)'") }
            return "deleted silence \(id)\n"
        }
    }

    /// Reads silences for `herald explain --silences`: a JSON array of silences, or
    /// `{"silences": [...]}` (what `GET /v1/silences` and `silences list --json` print).
    public static func load(_ data: Data, now: Date) -> Result<SilenceSet, Failure> {
        guard let value = try? JSONSerialization.jsonObject(with: data) else { return .failure(Failure(message: "not valid JSON")) }
        guard let items = (value as? [Any]) ?? ((value as? [String: Any])?["silences"] as? [Any]) else {
            return .failure(Failure(message: "expected an array of silences or {\"silences\": [...]}"))
        }
        var silences: [Silence] = []
        for (index, item) in items.enumerated() {
            switch SilenceJSON.parse(item, now: now, makeID: { "silence-\(index + 1)" }) {
            case .failure(let problem): return .failure(Failure(message: "silences[\(index)].\(problem.field): \(problem.message)"))
            case .success(let silence): silences.append(silence)
            }
        }
        return .success(SilenceSet(silences))
    }

    private static var refreshSeconds: Int {
        if case .seconds(let s) = EvaluationLoop.silenceRefreshInterval { return s }
        return 10
    }

    private static func matcherText(_ matcher: Silence.Matcher) -> String {
        var parts: [String] = []
        if let v = matcher.ruleID { parts.append("rule=\(v)") }
        if let v = matcher.subjectID { parts.append("subject=\(v)") }
        if let v = matcher.subjectType { parts.append("subjectType=\(v)") }
        parts += matcher.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return parts.joined(separator: " ")
    }
}
