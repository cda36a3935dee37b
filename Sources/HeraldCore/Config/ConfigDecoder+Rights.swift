/// The rights a rule names (`requiredRights`, `acknowledgeRights`) must exist somewhere:
/// a right no role recommends or allows and no user is granted can be held by nobody,
/// so a typo there would silently mute every tier of the rule (#17 item 4).
extension ConfigDecoder {
    static func declaredRights(roles: [RoleDefinition], users: [UserDefinition]) -> Set<String> {
        var names = Set<String>()
        for role in roles { names.formUnion(role.recommendedRights); names.formUnion(role.additionalRights) }
        for user in users { names.formUnion(user.grantedRights) }
        return names
    }

    /// Reads a list of rights of a rule, reporting each that nothing declares, with the
    /// closest declared right as a suggestion. The values are kept either way.
    mutating func ruleRights(_ reader: inout ObjectReader, _ key: String) -> [String] {
        let items = reader.strings(key)
        for (path, right) in items where !isDeclared(right) {
            let candidates = declaredRights.filter { !RightCatalog.isWildcard($0) }
            diagnostics.error("unknown_right", path,
                              "unknown right '\(right)'\(Suggestion.hint(for: right, in: candidates)): no role recommends or allows it and no user is granted it, so nobody could hold it")
        }
        return items.map(\.1)
    }

    /// Declared exactly, or covered by a declared `section.*` (or `*`) wildcard, which
    /// grants every right of its section. A wildcard written in the rule is left alone.
    private func isDeclared(_ right: String) -> Bool {
        if RightCatalog.isWildcard(right) || declaredRights.contains(right) { return true }
        return declaredRights.contains { RightCatalog.isWildcard($0) && right.hasPrefix($0.dropLast()) }
    }
}
