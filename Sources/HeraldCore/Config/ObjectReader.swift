/// Reads the members of one JSON object by name, reporting type errors and unknown
/// keys with their path. Every accessor records the key as known, so `finish()` can
/// name the keys nobody asked for (typos) with a "did you mean" suggestion.
struct ObjectReader {
    let path: JSONPath
    let members: [String: JSONValue]
    let diagnostics: ConfigDiagnostics
    /// Keys asked for so far. An array: objects have a dozen keys at most, and a Set
    /// per object was a measurable share of decoding an event.
    private var known: [String] = []
    /// How many of `known` are members: when all members are, `finish` has nothing to
    /// search for (the common case, and a tenth of an event's decoding time otherwise).
    private var knownMembers = 0

    /// Returns nil (after reporting) when `value` is not an object.
    init?(_ value: JSONValue, at path: JSONPath, _ diagnostics: ConfigDiagnostics) {
        guard case .object(let members) = value else {
            diagnostics.error("wrong_type", path, "expected an object, found \(value.typeName)")
            return nil
        }
        self.path = path
        self.members = members
        self.diagnostics = diagnostics
        known.reserveCapacity(members.count)
    }

    mutating func raw(_ key: String) -> JSONValue? {
        let value = members[key]
        if !known.contains(key) {
            known.append(key)
            if value != nil { knownMembers += 1 }
        }
        if case .null? = value { return nil }
        return value
    }

    mutating func has(_ key: String) -> Bool { raw(key) != nil }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let value = raw(key) else { return missing(key, required) }
        guard case .string(let s) = value else { return wrongType(key, "string", value) }
        if required, s.isEmpty {
            diagnostics.error("empty_value", path.appending(key), "'\(key)' must not be empty")
            return nil
        }
        return s
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard case .bool(let b) = value else { return wrongType(key, "boolean", value) }
        return b
    }

    mutating func number(_ key: String, required: Bool = false) -> Double? {
        guard let value = raw(key) else { return missing(key, required) }
        guard case .number(let n) = value else { return wrongType(key, "number", value) }
        guard n.isFinite else {
            diagnostics.error("not_finite", path.appending(key), "'\(key)' must be a finite number")
            return nil
        }
        return n
    }

    /// A whole number within `range` (limits, counts, ports).
    mutating func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let n = number(key) else { return nil }
        guard n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            diagnostics.error("out_of_range", path.appending(key),
                              "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound), found \(JSONNumber.format(n))")
            return nil
        }
        return Int(n)
    }

    mutating func duration(_ key: String) -> Duration? {
        guard let text = string(key) else { return nil }
        return parseDuration(text, at: path.appending(key))
    }

    /// Parses a duration written at `place`; reports text that is not one, or one
    /// longer than `Duration.maximum`.
    func parseDuration(_ text: String, at place: JSONPath) -> Duration? {
        guard let duration = Duration(parsing: text) else {
            diagnostics.error("bad_duration", place,
                              "'\(text)' is not a duration; use a number with a unit, like '30s', '15m', '4h' or '1d'")
            return nil
        }
        guard duration <= Duration.maximum else {
            diagnostics.error("out_of_range", place, "'\(text.prefix(64))' is longer than the longest allowed duration, \(Duration.maximum)")
            return nil
        }
        return duration
    }

    /// Array members, each with its path; reports a non-array.
    mutating func array(_ key: String, required: Bool = false) -> [(JSONPath, JSONValue)]? {
        guard let value = raw(key) else { return missing(key, required) }
        guard case .array(let items) = value else { return wrongType(key, "array", value) }
        let base = path.appending(key)
        return items.enumerated().map { (base.appending($0.offset), $0.element) }
    }

    /// An array of strings; non-strings are reported and skipped.
    mutating func strings(_ key: String) -> [(JSONPath, String)] {
        guard let items = array(key) else { return [] }
        return items.compactMap { itemPath, item in
            guard case .string(let s) = item else {
                diagnostics.error("wrong_type", itemPath, "expected a string, found \(item.typeName)")
                return nil
            }
            return (itemPath, s)
        }
    }

    /// A string → string map (labels, relations, headers).
    mutating func stringMap(_ key: String) -> [String: String] {
        guard let value = raw(key) else { return [:] }
        guard case .object(let members) = value else { return wrongType(key, "object", value) ?? [:] }
        if members.values.allSatisfy({ if case .string = $0 { true } else { false } }) {
            // mapValues keeps the dictionary's layout: no rehashing of the keys.
            return members.mapValues { if case .string(let s) = $0 { s } else { "" } }
        }
        var map: [String: String] = [:]
        for (name, member) in members {
            guard case .string(let s) = member else {
                diagnostics.error("wrong_type", path.appending(key).appending(name), "expected a string, found \(member.typeName)")
                continue
            }
            map[name] = s
        }
        return map
    }

    mutating func object(_ key: String) -> ObjectReader? {
        guard let value = raw(key) else { return nil }
        return ObjectReader(value, at: path.appending(key), diagnostics)
    }

    /// Reports every member that no accessor asked for.
    func finish() {
        guard knownMembers < members.count else { return }
        for key in members.keys.sorted() where !known.contains(key) && key != "$schema" && key != "$comment" {
            diagnostics.error("unknown_key", path.appending(key), "unknown key '\(key)'\(Suggestion.hint(for: key, in: known))")
        }
    }

    private func missing<T>(_ key: String, _ required: Bool) -> T? {
        if required { diagnostics.error("missing_key", path.appending(key), "missing required key '\(key)'") }
        return nil
    }

    private func wrongType<T>(_ key: String, _ expected: String, _ value: JSONValue) -> T? {
        diagnostics.error("wrong_type", path.appending(key), "expected \(expected == "array" || expected == "object" ? "an" : "a") \(expected), found \(value.typeName)")
        return nil
    }
}

/// Number formatting for messages: `10` rather than `10.0`.
enum JSONNumber {
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
