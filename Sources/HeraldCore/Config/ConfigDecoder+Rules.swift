/// Threshold rules, their tiers and recipient selectors.
extension ConfigDecoder {
    mutating func decodeRules(_ items: [(JSONPath, JSONValue)]) -> [Rule] {
        _ = collectIDs(items, kind: "rule")
        return items.compactMap { decodeRule($1, at: $0) }
    }

    private mutating func decodeRule(_ item: JSONValue, at path: JSONPath) -> Rule? {
        guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "rule") else { return nil }
        let metric = reader.string("metric", required: true)
        let direction = decodeDirection(&reader, at: path)
        let tiers = decodeTiers(&reader, at: path, direction: direction)
        let targets = reader.strings("targets").filter { reference($1, kind: "target", known: targetIDs, at: $0) }.map(\.1)
        let hysteresis = reader.number("hysteresis") ?? 0
        if hysteresis < 0 {
            diagnostics.error("out_of_range", path.appending("hysteresis"), "'hysteresis' must not be negative, found \(JSONNumber.format(hysteresis))")
        }
        let repeatAfter = reader.duration("repeatAfter")
        if let repeatAfter, repeatAfter.seconds <= 0 {
            diagnostics.error("out_of_range", path.appending("repeatAfter"), "'repeatAfter' must be longer than zero")
        }
        let rule = Rule(id: id, name: reader.string("name"), metric: metric ?? "", labels: reader.stringMap("labels"),
                        direction: direction, tiers: tiers ?? [], requiredRights: ruleRights(&reader, "requiredRights"),
                        targets: targets, cumulative: reader.bool("cumulative") ?? false, hysteresis: max(0, hysteresis),
                        repeatAfter: repeatAfter, notifyResolved: reader.bool("notifyResolved") ?? true,
                        notifyDeescalated: reader.bool("notifyDeescalated") ?? false,
                        acknowledgeRights: ruleRights(&reader, "acknowledgeRights"),
                        notifyAcknowledged: reader.bool("notifyAcknowledged") ?? true,
                        unrouted: decodeUnrouted(&reader, at: path),
                        message: decodeMessageTemplate(&reader, at: path))
        reader.finish()
        guard metric != nil, tiers != nil else { return nil }
        return rule
    }

    private func decodeDirection(_ reader: inout ObjectReader, at path: JSONPath) -> Direction {
        guard let text = reader.string("direction") else { return .above }
        guard let direction = Direction(rawValue: text) else {
            let names = Direction.allCases.map(\.rawValue)
            diagnostics.error("bad_value", path.appending("direction"),
                              "unknown direction '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
            return .above
        }
        return direction
    }

    /// Tiers are listed least severe first; thresholds must strictly grow in severity
    /// (increase for above/absolute, decrease for below) or the tier order is ambiguous.
    private mutating func decodeTiers(_ reader: inout ObjectReader, at path: JSONPath, direction: Direction) -> [Tier]? {
        guard let items = reader.array("tiers", required: true) else { return nil }
        if items.isEmpty {
            diagnostics.error("empty_value", path.appending("tiers"), "a rule needs at least one tier")
            return nil
        }
        var tiers: [Tier] = []
        var names: Set<String> = []
        var references: [TierReferenceToCheck] = []
        for (tierPath, item) in items {
            guard var tierReader = ObjectReader(item, at: tierPath, diagnostics) else { continue }
            let threshold = tierReader.number("threshold", required: true)
            let name = tierReader.string("name") ?? threshold.map { JSONNumber.format($0) } ?? "tier \(tiers.count + 1)"
            if !names.insert(name).inserted {
                diagnostics.error("duplicate_id", tierPath.appending("name"), "duplicate tier name '\(name)'")
            }
            let selectors = decodeSelectors(&tierReader, at: tierPath)
            let critical = tierReader.bool("critical") ?? false
            let escalation = decodeEscalation(&tierReader, at: tierPath)
            references += escalation?.1 ?? []
            tierReader.finish()
            guard let threshold else { continue }
            if direction == .absolute, threshold < 0 {
                diagnostics.error("out_of_range", tierPath.appending("threshold"),
                                  "an absolute rule compares |value|, so its threshold must not be negative, found \(JSONNumber.format(threshold))")
            }
            if let previous = tiers.last {
                let increasing = direction == .below ? threshold < previous.threshold : threshold > previous.threshold
                if !increasing {
                    diagnostics.error("thresholds_not_increasing", tierPath.appending("threshold"),
                                      "threshold \(JSONNumber.format(threshold)) must be \(direction == .below ? "below" : "above") the previous tier's \(JSONNumber.format(previous.threshold)) (tiers go from least to most severe)")
                }
            }
            tiers.append(Tier(name: name, threshold: threshold, notify: selectors, critical: critical, escalation: escalation?.0))
        }
        checkTierReferences(references, names: names)
        return tiers
    }

    /// A `notify` list; `owner` names what it belongs to in the empty-list message.
    mutating func decodeSelectors(_ reader: inout ObjectReader, at path: JSONPath, owner: String = "a tier") -> [RecipientSelector] {
        guard let items = reader.array("notify", required: true) else { return [] }
        if items.isEmpty {
            diagnostics.error("empty_value", path.appending("notify"), "\(owner) must notify someone")
        }
        return items.compactMap { decodeSelector($1, at: $0) }
    }

    /// A selector's group: a role's, a config or file group, or one `scim.groups` declares.
    /// With a `scim` section the refusal says how to target a group only SCIM provides.
    private func knownGroup(_ id: String, at path: JSONPath) -> Bool {
        if roleIDs.contains(id) || scimGroupIDs.contains(id) || groupIDs.contains(id) { return true }
        guard hasScimSection else { return reference(id, kind: "group", known: groupIDs, at: path) }
        diagnostics.error("dangling_reference", path, "undefined group '\(id)'\(Suggestion.hint(for: id, in: groupIDs.union(scimGroupIDs)))"
                          + "; a group the identity provider pushes over SCIM is declared in scim.groups (its display name → this id)")
        return false
    }

    /// One of `{"user"}`, `{"role", "andAbove"?}`, `{"group"}`, `{"relation"}`, `{"owner": true}`.
    private mutating func decodeSelector(_ item: JSONValue, at path: JSONPath) -> RecipientSelector? {
        guard var reader = ObjectReader(item, at: path, diagnostics) else { return nil }
        let kinds = ["user", "role", "group", "relation", "owner"].filter { reader.members[$0] != nil }
        guard kinds.count == 1 else {
            let found = kinds.isEmpty ? "none" : kinds.map { "'\($0)'" }.joined(separator: " and ")
            diagnostics.error("bad_selector", path,
                              "a recipient selector needs exactly one of 'user', 'role', 'group', 'relation' or 'owner', found \(found)")
            _ = (reader.raw("andAbove"), kinds.map { reader.raw($0) })
            reader.finish()
            return nil
        }
        var selector: RecipientSelector?
        switch kinds[0] {
        case "user":
            if let id = reader.string("user", required: true), reference(id, kind: "user", known: userIDs, at: path.appending("user")) {
                selector = .user(id)
            }
        case "role":
            let andAbove = reader.bool("andAbove") ?? false
            if let id = reader.string("role", required: true), reference(id, kind: "role", known: roleIDs, at: path.appending("role")) {
                selector = .role(id, andAbove: andAbove)
            }
        case "group":
            if let id = reader.string("group", required: true), knownGroup(id, at: path.appending("group")) {
                selector = .group(id)
            }
        case "relation":
            selector = reader.string("relation", required: true).map { .relation($0) }
        default:
            if reader.bool("owner") == true {
                selector = .owner
            } else {
                diagnostics.error("bad_selector", path.appending("owner"), "the owner selector is written \"owner\": true")
            }
        }
        if kinds[0] != "role", reader.members["andAbove"] != nil {
            diagnostics.error("bad_selector", path.appending("andAbove"), "'andAbove' only applies to a role selector")
            _ = reader.raw("andAbove")
        }
        reader.finish()
        return selector
    }
}
