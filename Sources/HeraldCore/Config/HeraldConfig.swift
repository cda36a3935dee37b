public import Foundation

/// A loaded, validated config: the directory compiled into indexes, the rules, the
/// delivery targets and server settings. Immutable; a reload builds a new one and
/// swaps it in whole.
public struct HeraldConfig: Sendable {
    /// The config's parts, shared by every copy. A config is copied into each evaluation
    /// step, planner and snapshot; as a plain struct its dozens of arrays and
    /// dictionaries made every copy as many atomic retains (perf: ≈ 4 % of batched
    /// ingest in outlined copies of `Evaluator`). Immutable, so sharing is safe.
    private final class Storage: Sendable {
        let document: ConfigDocument
        let directory: Directory
        let resolver: RecipientResolver
        let warnings: [ConfigIssue]
        let rulesByMetric: [String: [Int]]
        let rulesByID: [String: Int]

        init(document: ConfigDocument, directory: Directory, warnings: [ConfigIssue]) {
            self.document = document
            self.directory = directory
            self.resolver = RecipientResolver(directory: directory)
            self.warnings = warnings
            self.rulesByMetric = Dictionary(grouping: document.rules.indices, by: { document.rules[$0].metric })
            self.rulesByID = Dictionary(document.rules.indices.map { (document.rules[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    private let storage: Storage

    public var document: ConfigDocument { storage.document }
    public var directory: Directory { storage.directory }
    public var resolver: RecipientResolver { storage.resolver }
    /// Warnings: valid but almost certainly not what the operator meant.
    public var warnings: [ConfigIssue] { storage.warnings }

    // Through `storage` directly, so a read does not copy the whole document first.
    public var rules: [Rule] { storage.document.rules }
    public var server: ServerSettings { storage.document.server }
    public var targets: [TargetDefinition] { storage.document.targets }
    public var bridges: BridgeSettings { storage.document.bridges }
    public var store: StoreSettings { storage.document.store }

    init(document: ConfigDocument, directory: Directory, warnings: [ConfigIssue]) {
        storage = Storage(document: document, directory: directory, warnings: warnings)
    }

    /// Builds a config from already-decoded definitions (tests, generators).
    public static func compile(_ document: ConfigDocument) throws(ConfigError) -> HeraldConfig {
        let diagnostics = ConfigDiagnostics()
        let directory = DirectoryBuilder(document: document, diagnostics: diagnostics).build()
        if diagnostics.hasErrors { throw ConfigError(issues: diagnostics.issues) }
        let warnings = ConfigWarnings(document: document, directory: directory).all()
        return HeraldConfig(document: document, directory: directory, warnings: warnings)
    }

    /// The same config with another directory (after a SCIM change): rules, targets and
    /// settings are shared, only the directory and its resolver are new. The warnings
    /// stay those of the config as loaded.
    public func replacingDirectory(_ directory: Directory) -> HeraldConfig {
        HeraldConfig(document: document, directory: directory, warnings: warnings)
    }

    /// Rules whose metric and label filter select the event, in config order.
    public func rules(matching event: MetricEvent) -> [Rule] {
        guard let candidates = storage.rulesByMetric[event.metric] else { return [] }
        // One pass, one allocation: this runs for every event.
        let rules = storage.document.rules
        var matching: [Rule] = []
        matching.reserveCapacity(candidates.count)
        for index in candidates where rules[index].matches(event) { matching.append(rules[index]) }
        return matching
    }

    /// The rule with this id, if the config has one.
    public func rule(id: String) -> Rule? { storage.rulesByID[id].map { storage.document.rules[$0] } }

    /// Why a silence (or another reference) naming rule `id` is refused, with the closest
    /// rule id as a suggestion; nil when the config has that rule.
    public func unknownRuleProblem(_ id: String) -> String? {
        guard rule(id: id) == nil else { return nil }
        return "unknown rule '\(id)'\(Suggestion.hint(for: id, in: rules.map(\.id))); a silence on it would never match"
    }

    /// Whether some rule evaluates events of `metric` (whatever its label filter).
    public func knowsMetric(_ metric: String) -> Bool { storage.rulesByMetric[metric] != nil }

    /// Who hears `rule`'s notices that resolve to nobody: the rule's own fallback, else
    /// the server's, else nobody.
    public func unrouted(for rule: Rule) -> UnroutedFallback? { rule.unrouted ?? server.unrouted }

    /// One-line summary for `herald check` and start-up logs.
    public var summary: String {
        let customGroups = directory.groups.filter { $0.kind == .custom }.count
        return "\(directory.users.count) users, \(directory.roles.count) roles, \(customGroups) custom groups, " +
            "\(rules.count) rules, \(targets.count) targets, \(directory.rights.names.count) rights"
    }
}

/// A config that cannot be used, with every problem found.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let issues: [ConfigIssue]

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Reads a config file's bytes into a `HeraldConfig`, or every error with its place.
public enum ConfigLoader {
    /// Parses, decodes, validates and compiles. Errors carry line:column positions.
    /// `readFiles` reads what `directory.files` names (the core does no I/O); errors in
    /// those files carry the file's path in `ConfigIssue.file`.
    public static func load(_ data: Data, readFiles: @escaping DirectoryFileReader = DirectoryFileLookup.noFiles) throws(ConfigError) -> HeraldConfig {
        let parsed: JSONParser.Document
        do {
            parsed = try JSONParser.parse(data)
        } catch {
            throw ConfigError(issues: [ConfigIssue(.error, code: "json_syntax", path: .root, error.message, position: error.position)])
        }
        let root = parsed.value
        let diagnostics = ConfigDiagnostics()
        for duplicate in parsed.duplicateKeys {
            let key = duplicate.path.components.last.map { component -> String in
                if case .key(let k) = component { return k }
                return ""
            } ?? ""
            diagnostics.error("duplicate_key", duplicate.path, "key '\(key)' appears twice in the same object; the first value would be ignored")
        }
        var decoder = ConfigDecoder(diagnostics: diagnostics, readFiles: readFiles)
        let document = decoder.decode(root)
        var config: HeraldConfig?
        if let document, !diagnostics.hasErrors {
            do {
                config = try HeraldConfig.compile(document)
            } catch {
                for issue in error.issues { diagnostics.record(issue) }
            }
        }
        let files = decoder.directoryFiles
        guard let config, !diagnostics.hasErrors else {
            throw ConfigError(issues: locate(diagnostics.issues, in: data, files: files))
        }
        return HeraldConfig(document: config.document, directory: config.directory,
                            warnings: locate(config.warnings, in: data, files: files))
    }

    /// Like `locate(_:in:)`, for issues that may point into directory files: those get the
    /// file's path, the path inside the file and a position in it. Config issues come
    /// first, then each file's in the order the files were read.
    static func locate(_ issues: [ConfigIssue], in data: Data, files: [DirectoryFile]) -> [ConfigIssue] {
        guard !files.isEmpty else { return locate(issues, in: data) }
        var byFile = Array(repeating: [ConfigIssue](), count: files.count + 1)
        for issue in issues {
            guard let (file, inner) = DirectoryFileMarker.split(issue.path), file < files.count else {
                byFile[0].append(issue)
                continue
            }
            var moved = ConfigIssue(issue.severity, code: issue.code, path: inner, issue.message, position: issue.position)
            moved.file = files[file].path
            byFile[file + 1].append(moved)
        }
        var located = locate(byFile[0], in: data)
        for (file, fileIssues) in byFile.dropFirst().enumerated() {
            // A syntax error already knows its position; the others are found by path.
            let known = fileIssues.filter { $0.position != nil }
            let found = locate(fileIssues.filter { $0.position == nil }, in: files[file].data).map { issue -> ConfigIssue in
                var issue = issue
                issue.file = files[file].path
                return issue
            }
            located += known + found
        }
        return located
    }

    /// Adds `line:column` to issues and orders them by place. The text, already known
    /// to be valid JSON, is read again with the parser recording positions: only a
    /// config with something to report pays for positions, a large valid one for none.
    static func locate(_ issues: [ConfigIssue], in data: Data) -> [ConfigIssue] {
        guard !issues.isEmpty else { return [] }
        let positions = (try? JSONParser.parse(data, recordingPositions: true))?.positions
        return issues.map { issue in
            var located = issue
            located.position = positions?.position(of: issue.path)
            return located
        }.sorted { ($0.position?.line ?? 0, $0.position?.column ?? 0) < ($1.position?.line ?? 0, $1.position?.column ?? 0) }
    }
}

extension ConfigDiagnostics {
    func record(_ issue: ConfigIssue) {
        if issue.severity == .error { error(issue.code, issue.path, issue.message) } else { warning(issue.code, issue.path, issue.message) }
    }
}
