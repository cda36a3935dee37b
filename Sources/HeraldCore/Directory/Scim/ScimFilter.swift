/// A SCIM filter (RFC 7644 §3.4.2.2): comparisons joined by `and`/`or`, `not (…)` and
/// parentheses. Operators `eq`, `ne`, `co`, `sw`, `ew` and `pr`; ordering operators
/// (`gt`…) are refused as `invalidFilter`, since no attribute Herald filters on is ordered.
public indirect enum ScimFilter: Sendable, Equatable {
    public enum Operator: String, Sendable { case eq, ne, co, sw, ew }

    /// A comparison value: a JSON string, boolean, number or null.
    public enum Literal: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case number(Double)
        case null
    }

    case compare(path: String, op: Operator, value: Literal)
    case present(path: String)
    case and(ScimFilter, ScimFilter)
    case or(ScimFilter, ScimFilter)
    case not(ScimFilter)

    /// Longest filter text accepted; IdPs send one comparison or two.
    public static let maxLength = 4_096

    /// Parses a filter; attribute paths come back lower-cased (SCIM names are case-insensitive).
    public static func parse(_ text: String) throws(ScimError) -> ScimFilter {
        guard text.utf8.count <= maxLength else { throw .invalidFilter("the filter is longer than \(maxLength) bytes") }
        var parser = ScimFilterParser(tokens: try ScimFilterParser.tokenize(text))
        let filter = try parser.orExpression()
        guard parser.atEnd else { throw .invalidFilter("unexpected '\(parser.peek ?? "")' in filter '\(text)'") }
        return filter
    }

    /// Whether the filter holds, given the values of each (lower-cased) attribute path.
    /// `caseExact` says whether a path's strings compare exactly (id, externalId) or
    /// case-insensitively (userName, emails, displayName: RFC 7643 §4.1.1).
    public func matches(_ values: (String) -> [Literal], caseExact: (String) -> Bool = { _ in false }) -> Bool {
        switch self {
        case .present(let path): return !values(path).isEmpty
        case .and(let a, let b): return a.matches(values, caseExact: caseExact) && b.matches(values, caseExact: caseExact)
        case .or(let a, let b): return a.matches(values, caseExact: caseExact) || b.matches(values, caseExact: caseExact)
        case .not(let inner): return !inner.matches(values, caseExact: caseExact)
        case .compare(let path, let op, let literal):
            let found = values(path)
            if op == .ne { return !found.contains { Self.equal($0, literal, exact: caseExact(path)) } }
            return found.contains { Self.compare($0, op, literal, exact: caseExact(path)) }
        }
    }

    /// For `attr eq "value"` alone: the path and value, so a caller can use an index.
    public var equality: (path: String, value: String)? {
        if case .compare(let path, .eq, .string(let value)) = self { return (path, value) }
        return nil
    }

    private static func equal(_ a: Literal, _ b: Literal, exact: Bool) -> Bool {
        if case .string(let x) = a, case .string(let y) = b, !exact { return x.lowercased() == y.lowercased() }
        return a == b
    }

    private static func compare(_ found: Literal, _ op: Operator, _ literal: Literal, exact: Bool) -> Bool {
        guard op != .eq else { return equal(found, literal, exact: exact) }
        guard case .string(var x) = found, case .string(var y) = literal else { return false }
        if !exact { x = x.lowercased(); y = y.lowercased() }
        switch op {
        case .co: return x.contains(y)
        case .sw: return x.hasPrefix(y)
        case .ew: return x.hasSuffix(y)
        case .eq, .ne: return false
        }
    }
}

/// Recursive descent over the filter's tokens: `or` binds loosest, then `and`, then `not`.
struct ScimFilterParser {
    enum Token: Equatable {
        case word(String)
        case string(String)
        case open, close
    }

    let tokens: [Token]
    var position = 0

    init(tokens: [Token]) { self.tokens = tokens }

    var atEnd: Bool { position >= tokens.count }
    var peek: String? {
        guard !atEnd else { return nil }
        switch tokens[position] {
        case .word(let w): return w
        case .string(let s): return "\"\(s)\""
        case .open: return "("
        case .close: return ")"
        }
    }

    mutating func orExpression() throws(ScimError) -> ScimFilter {
        var left = try andExpression()
        while keyword("or") { left = .or(left, try andExpression()) }
        return left
    }

    mutating func andExpression() throws(ScimError) -> ScimFilter {
        var left = try term()
        while keyword("and") { left = .and(left, try term()) }
        return left
    }

    mutating func term() throws(ScimError) -> ScimFilter {
        if keyword("not") {
            guard next() == .open else { throw .invalidFilter("'not' must be followed by '('") }
            let inner = try orExpression()
            guard next() == .close else { throw .invalidFilter("missing ')'") }
            return .not(inner)
        }
        if !atEnd, tokens[position] == .open {
            position += 1
            let inner = try orExpression()
            guard next() == .close else { throw .invalidFilter("missing ')'") }
            return inner
        }
        guard case .word(let path)? = next() else { throw .invalidFilter("expected an attribute name") }
        guard case .word(let opText)? = next() else { throw .invalidFilter("expected an operator after '\(path)'") }
        let lowered = opText.lowercased()
        if lowered == "pr" { return .present(path: path.lowercased()) }
        guard let op = ScimFilter.Operator(rawValue: lowered) else {
            throw .invalidFilter("operator '\(opText)' is not supported; use eq, ne, co, sw, ew or pr")
        }
        return .compare(path: path.lowercased(), op: op, value: try literal())
    }

    mutating func literal() throws(ScimError) -> ScimFilter.Literal {
        switch next() {
        case .string(let text)?: return .string(text)
        case .word(let word)?:
            switch word.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                guard let number = Double(word) else { throw .invalidFilter("'\(word)' is not a value; quote strings") }
                return .number(number)
            }
        default: throw .invalidFilter("expected a value")
        }
    }

    private mutating func keyword(_ word: String) -> Bool {
        guard !atEnd, case .word(let w) = tokens[position], w.lowercased() == word else { return false }
        position += 1
        return true
    }

    private mutating func next() -> Token? {
        guard !atEnd else { return nil }
        position += 1
        return tokens[position - 1]
    }

    static func tokenize(_ text: String) throws(ScimError) -> [Token] {
        var tokens: [Token] = []
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.first {
            if c == " " || c == "\t" { chars.removeFirst(); continue }
            if c == "(" || c == ")" { tokens.append(c == "(" ? .open : .close); chars.removeFirst(); continue }
            if c == "\"" {
                chars.removeFirst()
                var value = String.UnicodeScalarView()
                var closed = false
                while let d = chars.popFirst() {
                    if d == "\\", let escaped = chars.popFirst() { value.append(escaped); continue }
                    if d == "\"" { closed = true; break }
                    value.append(d)
                }
                guard closed else { throw .invalidFilter("unterminated string in filter") }
                tokens.append(.string(String(value)))
                continue
            }
            var word = String.UnicodeScalarView()
            while let d = chars.first, d != " ", d != "\t", d != "(", d != ")", d != "\"" { word.append(d); chars.removeFirst() }
            tokens.append(.word(String(word)))
        }
        return tokens
    }
}
