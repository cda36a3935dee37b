import Foundation

/// The figures of one run: printed as a table and, with `--json`, written for
/// `Benchmarks/run`, which puts them in BENCHMARKS.md.
struct Figure {
    /// Section, e.g. "config load" or "resolve".
    let group: String
    let name: String
    let value: Double
    let unit: String
    /// Directory size the figure was measured at (0 when it does not depend on it).
    let users: Int
    var note: String = ""

    var json: [String: Any] {
        ["group": group, "name": name, "value": value.isFinite ? value : -1, "unit": unit, "users": users, "note": note]
    }
}

/// Collects figures and renders them.
struct FigureTable {
    private(set) var figures: [Figure] = []

    mutating func add(_ group: String, _ name: String, _ value: Double, _ unit: String, users: Int = 0, note: String = "") {
        let figure = Figure(group: group, name: name, value: value, unit: unit, users: users, note: note)
        figures.append(figure)
        print(FigureTable.line(figure))
    }

    static func line(_ f: Figure) -> String {
        let size = f.users > 0 ? "\(f.users)" : "-"
        let name = f.name.padding(toLength: 46, withPad: " ", startingAt: 0)
        let group = f.group.padding(toLength: 12, withPad: " ", startingAt: 0)
        let value = format(f.value).leftPadded(to: 12)
        return "\(group) \(name) \(size.leftPadded(to: 7)) users \(value) \(f.unit)\(f.note.isEmpty ? "" : "  (\(f.note))")"
    }

    static func format(_ v: Double) -> String {
        guard v.isFinite else { return "n/a" }
        if v >= 1000 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    func write(json path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: figures.map(\.json), options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
