import Foundation

/// Checks for configs that are valid but almost certainly wrong: audiences that are
/// always empty, rules that only reach inactive people, targeted groups and roles
/// nobody holds. `herald check` prints them; they never stop a load.
struct ConfigWarnings {
    let document: ConfigDocument
    let directory: Directory

    func all() -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        let resolver = RecipientResolver(directory: directory)
        if let fallback = document.server.unrouted {
            issues += fallbackWarnings(fallback, resolver: resolver, at: JSONPath.root.appending("server").appending("unrouted"))
        }
        for (r, rule) in document.rules.enumerated() {
            let rulePath = JSONPath.root.appending("rules").appending(r)
            if let fallback = rule.unrouted {
                issues += fallbackWarnings(fallback, resolver: resolver, at: rulePath.appending("unrouted"))
            }
            for (t, tier) in rule.tiers.enumerated() {
                let tierPath = rulePath.appending("tiers").appending(t)
                issues += selectorWarnings(tier, at: tierPath)
                issues += audienceWarnings(rule, tier, resolver.resolve(tier.notify, requiredRights: rule.requiredRights, event: nil), at: tierPath)
                if let chain = tier.escalation {
                    issues += escalationWarnings(rule, tier, chain, resolver: resolver, at: tierPath.appending("escalation"))
                }
            }
        }
        return issues + cleartextWarnings()
    }

    /// A URL in clear over the network shows whatever authenticates the request (a
    /// token header, a chat URL's secret path) to anyone on the way; loopback is fine.
    private func cleartextWarnings() -> [ConfigIssue] {
        document.targets.enumerated().compactMap { index, target in
            guard let url = URLComponents(string: target.url), url.scheme?.lowercased() == "http",
                  let host = url.host?.lowercased() else { return nil }
            if host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" { return nil }
            return ConfigIssue(.warning, code: "cleartext_url", path: JSONPath.root.appending("targets").appending(index).appending("url"),
                               "'\(host)' is reached over plain http: credentials and notices cross the network unencrypted; use https")
        }
    }

    /// A tier reaches nobody unless a relation on the event may still name someone.
    private func audienceWarnings(_ rule: Rule, _ tier: Tier, _ resolution: Resolution, at path: JSONPath) -> [ConfigIssue] {
        let relations = tier.notify.compactMap { if case .relation(let name) = $0 { name } else { nil } }
        guard resolution.recipients.isEmpty else { return [] }
        // A group only SCIM provides has its own warning (`scim_group`) saying when it fills.
        let scimGroups = Set(document.scim.groups.values)
        if tier.notify.contains(where: { if case .group(let id) = $0 { scimGroups.contains(id) } else { false } }) { return [] }
        if !relations.isEmpty {
            // Only the event's relations can name someone: an event without them resolves
            // to nobody, which is fine only if a fallback catches it.
            guard (rule.unrouted ?? document.server.unrouted) == nil else { return [] }
            return [ConfigIssue(.warning, code: "may_reach_nobody", path: path.appending("notify"),
                                "tier '\(tier.name)' of rule '\(rule.id)' reaches nobody when an event carries no \(relations.map { "'\($0)'" }.joined(separator: " or ")) relation, and no 'unrouted' fallback is set")]
        }
        let candidates = resolution.excluded.filter { $0.user != nil }
        let message: String
        if candidates.isEmpty {
            message = "tier '\(tier.name)' of rule '\(rule.id)' reaches nobody: its selectors match no users"
        } else if candidates.allSatisfy({ $0.reason == .inactive }) {
            message = "tier '\(tier.name)' of rule '\(rule.id)' reaches nobody: every selected user is inactive"
        } else {
            let rights = Set(candidates.compactMap { if case .lacksRight(let r) = $0.reason { r } else { nil } }).sorted()
            message = "tier '\(tier.name)' of rule '\(rule.id)' reaches nobody: every selected user is inactive or lacks \(rights.map { "'\($0)'" }.joined(separator: ", "))"
        }
        return [ConfigIssue(.warning, code: "empty_audience", path: path.appending("notify"), message)]
    }

    /// An `unrouted` fallback that itself reaches nobody catches nothing.
    private func fallbackWarnings(_ fallback: UnroutedFallback, resolver: RecipientResolver, at path: JSONPath) -> [ConfigIssue] {
        let usesRelations = fallback.notify.contains { if case .relation = $0 { true } else { false } }
        guard !usesRelations, resolver.resolve(fallback.notify, requiredRights: [], event: nil).recipients.isEmpty else { return [] }
        return [ConfigIssue(.warning, code: "empty_audience", path: path.appending("notify"),
                            "the 'unrouted' fallback reaches nobody: its selectors match no active users")]
    }

    private func selectorWarnings(_ tier: Tier, at path: JSONPath) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        for (s, selector) in tier.notify.enumerated() {
            let selectorPath = path.appending("notify").appending(s)
            switch selector {
            case .group(let id):
                if directory.group(id) == nil, let name = document.scim.groups.first(where: { $0.value == id })?.key {
                    issues.append(ConfigIssue(.warning, code: "scim_group", path: selectorPath.appending("group"),
                                              "group '\(id)' comes from SCIM group '\(name)' (scim.groups): until the identity provider pushes it with members, this tier's notices are unrouted (recorded with the reason, sent to the 'unrouted' fallback if one is set)"))
                } else if let g = directory.group(id), directory.members[g].isEmpty {
                    issues.append(ConfigIssue(.warning, code: "empty_group", path: selectorPath.appending("group"),
                                              "group '\(id)' has no members"))
                }
            case .role(let id, let andAbove):
                guard let role = directory.role(id) else { continue }
                let holders = directory.holders[role].count + (andAbove ? directory.includedBy[role].reduce(0) { $0 + directory.holders[$1.role].count } : 0)
                if holders == 0 {
                    issues.append(ConfigIssue(.warning, code: "empty_role", path: selectorPath.appending("role"),
                                              "role selector '\(id)\(andAbove ? " and above" : "")' matches nobody"))
                }
            default:
                continue
            }
        }
        return issues
    }
}
