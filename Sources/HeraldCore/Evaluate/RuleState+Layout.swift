/// A rule state whose rule's tier layout changed (thresholds, names or number of tiers)
/// while an episode was running, typically by a config reload.
///
/// The episode keeps the tier it stood at — clamped into the new layout — and the tiers
/// it has told; the next event is judged against the new thresholds from there. So
/// lowering a threshold under a running episode cannot swallow the climb into a tier
/// whose audience was never told (issue #17 item 1), and the reload itself notifies nobody.
public struct Rederivation: Sendable, Equatable {
    public let key: RuleStateKey
    /// The tier the episode stood at, in the new layout (the basis for the next event).
    public let tier: TierReference
    /// Tiers told in this episode that still exist, by name.
    public let toldTiers: [String]
}

extension RuleState {
    /// Adopts `rule`'s tier layout if the state was written under another one; returns
    /// the tier index the episode now stands at (nil when nothing changed or no episode
    /// is running). Tiers told earlier stay told, so climbing back to one (even after a
    /// reload that removed and restored it) does not re-send it.
    mutating func adoptLayout(of rule: Rule) -> Int? {
        guard tierSignature != rule.tierSignature else { return nil }
        tierSignature = rule.tierSignature
        guard let current = tier else { return nil }
        let clamped = min(current, rule.tiers.count - 1)
        tier = clamped
        return clamped
    }
}

extension EvaluationState {
    /// The running episodes whose rule's tier layout differs in `config` from the one
    /// their state was written under, and the tier each will be judged from at its next
    /// event. Read-only: the evaluator adopts the layout at that event (`adoptLayout`),
    /// so a state read back from the store after a restart is handled the same way.
    /// Rules `config` no longer has are left out (their state is dropped).
    public func rederivations(under config: HeraldConfig) -> [Rederivation] {
        rules.keys.sorted().compactMap { key -> Rederivation? in
            guard let rule = config.rule(id: key.ruleID), var state = rules[key], state.tier != nil,
                  let index = state.adoptLayout(of: rule) else { return nil }
            let told = state.notifiedTiers.filter { $0 < rule.tiers.count }.map { rule.tiers[$0].name }
            return Rederivation(key: key, tier: TierReference(index: index, name: rule.tiers[index].name,
                                                              threshold: rule.tiers[index].threshold), toldTiers: told)
        }
    }
}
