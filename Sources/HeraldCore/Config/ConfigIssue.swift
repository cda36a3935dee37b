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
    /// The directory file the issue is in (its path as the operator opens it); nil for
    /// the config file itself.
    public var file: String?

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
        return "\(place)\(message)\(path.components.isEmpty ? "" : " at \(path)")"
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

    /// Records an issue that already knows its position (a directory file's syntax error).
    func append(_ issue: ConfigIssue) { issues.append(issue) }
}

/// "Did you mean" suggestions for unknown keys and names, by edit distance.
enum Suggestion {
    /// The closest candidate within a distance that still reads as a typo, if any.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // Short words tolerate one typo; longer ones about one per three letters. A
        // suggestion that replaces most of the word is noise, not help.
        let limit = word.count <= 4 ? 1 : max(2, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = levenshtein(word.lowercased(), candidate.lowercased())
            guard distance < min(word.count, candidate.count) else { continue }
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// Edit distance counting a swap of two adjacent letters as one edit (optimal
    /// string alignment), since "raed" for "read" is the commonest typo of all.
    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
                }
            }
        }
        return rows[a.count][b.count]
    }

    /// ` (did you mean 'x'?)` or an empty string.
    static func hint(for word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }
}
