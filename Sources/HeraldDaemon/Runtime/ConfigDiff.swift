import HeraldCore

/// A one-line summary of what a reload changed, for the log:
/// `users +2 -0 ~1, groups +0 -0 ~0, rules +0 -0 ~1, targets +0 -0 ~0`.
enum ConfigDiff {
    static func summary(from old: HeraldConfig, to new: HeraldConfig) -> String {
        [
            part("users", old.document.users, new.document.users, id: \.id),
            part("groups", old.document.groups, new.document.groups, id: \.id),
            part("rules", old.rules, new.rules, id: \.id),
            part("targets", old.targets, new.targets, id: \.id),
        ].joined(separator: ", ")
    }

    /// Added, removed and changed (same id, different definition) counts.
    private static func part<T: Equatable>(_ name: String, _ old: [T], _ new: [T], id: (T) -> String) -> String {
        let before = Dictionary(old.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        let added = after.keys.filter { before[$0] == nil }.count
        let removed = before.keys.filter { after[$0] == nil }.count
        let changed = after.filter { key, value in before[key].map { $0 != value } ?? false }.count
        return "\(name) +\(added) -\(removed) ~\(changed)"
    }
}
