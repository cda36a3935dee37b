/// Escalation chains that end in silence.
extension ConfigWarnings {
    /// The last step of a chain is the one meant to reach someone when all else has
    /// failed; if its audience is always empty (no users, all inactive, all lacking
    /// the rule's rights) the chain ends in nobody. A relation may still name someone
    /// at run time, so steps using relations are not judged.
    func escalationWarnings(_ rule: Rule, _ tier: Tier, _ chain: EscalationChain, resolver: RecipientResolver,
                            at path: JSONPath) -> [ConfigIssue] {
        guard let last = chain.steps.last else { return [] }
        let selectors: [RecipientSelector]
        switch last.audience {
        case .selectors(let written): selectors = written
        case .tier(let name): selectors = rule.tierIndex(named: name).map { rule.tiers[$0].notify } ?? []
        }
        let usesRelations = selectors.contains { if case .relation = $0 { return true } else { return false } }
        let resolution = resolver.resolve(selectors, requiredRights: rule.requiredRights, event: nil)
        guard resolution.recipients.isEmpty, !usesRelations else { return [] }
        let stepPath = path.appending("steps").appending(chain.steps.count - 1)
        let candidates = resolution.excluded.filter { $0.user != nil }
        let why = candidates.isEmpty ? "its selectors match no users" : "every selected user is inactive or lacks the rule's required rights"
        return [ConfigIssue(.warning, code: "empty_escalation", path: stepPath,
                            "the escalation of tier '\(tier.name)' of rule '\(rule.id)' ends in nobody: \(why)")]
    }
}
