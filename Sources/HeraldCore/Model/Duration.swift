/// A span of time written the way operators write it: `30s`, `15m`, `4h`, `1d`, `1h30m`.
public struct Duration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    /// Longest duration a config may give: ten years. Beyond it no timeout, window or
    /// retry delay means anything, and the daemon's conversions to whole seconds or
    /// milliseconds (libmicrohttpd, libcurl) would overflow `Int` — a 400-digit number
    /// even parses as infinity.
    public static let maximum = Duration(seconds: 10 * 365 * 86_400)

    /// Parses one or more `<number><unit>` parts (units ms, s, m, h, d); nil if malformed
    /// or negative.
    public init?(parsing text: String) {
        let units: [String: Double] = ["ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400]
        var total = 0.0
        var rest = Substring(text.trimmingCharactersInSet(" "))
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter }
            guard let factor = units[String(unit)] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        self.seconds = total
    }

    public static func < (a: Duration, b: Duration) -> Bool { a.seconds < b.seconds }

    /// Largest whole unit that divides evenly: `90m` → `1h30m`, `86400s` → `1d`.
    public var description: String {
        var remaining = Int(seconds.rounded())
        if remaining == 0 { return seconds > 0 ? "\(Int(seconds * 1000))ms" : "0s" }
        var parts = ""
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
            parts += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return parts
    }
}

extension String {
    func trimmingCharactersInSet(_ characters: Character) -> String {
        String(drop { $0 == characters }.reversed().drop { $0 == characters }.reversed())
    }
}
