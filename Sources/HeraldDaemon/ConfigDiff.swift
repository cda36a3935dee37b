import HeraldCore

/// A one-line summary of what a reload changed, for the log.
enum ConfigDiff {
    static func summary(from old: HeraldConfig, to new: HeraldConfig) -> String {
        [
            part("users", old.directory.users.map { "\($0.id)|\($0.name)|\($0.active)|\($0.roles)|\($0.customGroups.map { old.directory.groups[$0].id })" },
                 new.directory.users.map { "\($0.id)|\($0.name)|\($0.active)|\($0.roles)|\($0.customGroups.map { new.directory.groups[$0].id })" }),
            part("groups", old.document.groups.map { "\($0)" }, new.document.groups.map { "\($0)" }),
            part("rules", old.rules.map { "\($0)" }, new.rules.map { "\($0)" }),
            part("targets", old.targets.map { "\($0)" }, new.targets.map { "\($0)" }),
        ].joined(separator: ", ")
    }

    /// `users +2 -1 ~3`: added, removed, changed, by id (the text before the first '|'
    /// or the whole description's id field).
    private static func part(_ name: String, _ old: [String], _ new: [String]) -> String {
        func id(_ text: String) -> String {
            if let bar = text.firstIndex(of: "|") { return String(text[..<bar]) }
            if let range = text.range(of: "id: \""), let end = text[range.upperBound...].firstIndex(of: "\"") {
                return String(text[range.upperBound..<end])
            }
            return text
        }
        let before = Dictionary(old.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        let added = after.keys.filter { before[$0] == nil }.count
        let removed = before.keys.filter { after[$0] == nil }.count
        let changed = after.filter { key, value in before[key].map { $0 != value } ?? false }.count
        return "\(name) +\(added) -\(removed) ~\(changed)"
    }
}
