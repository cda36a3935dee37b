/// One problem found in a config: where it is and what is wrong.
///
/// Messages follow STYLE.md principle 5: lower-case, one sentence, the value quoted,
/// and the JSON path — `undefined role 'mgr' at groups[2].roles[0]`.
public struct ConfigIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public let severity: Severity
    /// Stable machine code (`unknown_key`, `dangling_reference`, …) for tests, logs and metrics.
    public let code: String
    public let path: JSONPath
    public let message: String
    public var position: SourcePosition?

    public init(_ severity: Severity, code: String, path: JSONPath, _ message: String, position: SourcePosition? = nil) {
        self.severity = severity
        self.code = code
        self.path = path
        self.message = message
        self.position = position
    }

    /// `12:5: undefined role 'mgr' at groups[2].roles[0]`.
    public var description: String {
        let place = position.map { "\($0): " } ?? ""
        return "\(place)\(message) at \(path)"
    }
}

/// Collects issues while a config is read, so every problem is reported at once.
final class ConfigDiagnostics {
    private(set) var issues: [ConfigIssue] = []

    var hasErrors: Bool { issues.contains { $0.severity == .error } }

    func error(_ code: String, _ path: JSONPath, _ message: String) {
        issues.append(ConfigIssue(.error, code: code, path: path, message))
    }

    func warning(_ code: String, _ path: JSONPath, _ message: String) {
        issues.append(ConfigIssue(.warning, code: code, path: path, message))
    }
}

/// "Did you mean" suggestions for unknown keys and names, by edit distance.
enum Suggestion {
    /// The closest candidate within a distance that still reads as a typo, if any.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = levenshtein(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// ` (did you mean 'x'?)` or an empty string.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
