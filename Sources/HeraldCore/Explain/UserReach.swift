/// Which rules can reach one person, and how — the directory lookup of the operator UI.
///
/// For every tier of every rule (with the tiers below it when the rule is cumulative, as
/// a `firing` notice is) and every step of its escalation chain, the resolver runs as
/// it would for a real notice — and, if no role, group or user selector names the
/// person, again with an event that names them under every relation the audience uses.
/// The answer is therefore the resolver's own path
/// (`role:manager (via admin ⊇ manager)`, `relation:primary_coordinator`) or its own
/// reason for leaving the person out (`inactive`, `lacks right 'x'`), never a second
/// opinion that could drift from what Herald actually does.
public struct UserReach: Sendable, Equatable {
    /// One audience that selects the person.
    public struct Entry: Sendable, Equatable {
        public let ruleID: String
        public let ruleName: String
        /// `tier 30%`, or `tier 30%, escalation step 1 (after 15m)`.
        public let stage: String
        /// The path that selects them; nil when they are left out.
        public let path: String?
        /// Why they are left out although a selector names them; nil when told.
        public let excluded: String?
        /// The path needs the event to name them under a relation (they are told only
        /// about subjects they are, e.g., the primary coordinator of).
        public let needsRelation: Bool
    }

    /// The audiences that select the person, in rule, tier, step order.
    public let entries: [Entry]
    /// Ids of the rules whose episodes they may act on without being told (they hold
    /// one of the rule's `acknowledgeRights`).
    public let mayActOn: [String]

    /// The reach of directory user `user` under `config`.
    public init(user: Int, config: HeraldConfig) {
        var entries: [Entry] = []
        var mayActOn: [String] = []
        let evaluator = Evaluator(config: config)
        let person = EpisodeActor.user(config.directory.users[user].id)
        for rule in config.rules {
            for (index, tier) in rule.tiers.enumerated() {
                let selectors = rule.cumulative ? rule.tiers[...index].flatMap(\.notify) : tier.notify
                let label = "tier \(tier.name)" + (rule.cumulative && index > 0 ? " (and the tiers below)" : "")
                if let entry = Self.entry(user, rule, label, selectors, config) { entries.append(entry) }
                for (number, step) in (tier.escalation?.steps ?? []).enumerated() {
                    let stepLabel = "tier \(tier.name), escalation step \(number + 1) (after \(step.after))"
                    if let entry = Self.entry(user, rule, stepLabel, Self.selectors(step.audience, rule), config) { entries.append(entry) }
                }
            }
            // The evaluator's own check, for an episode that told nobody.
            if !rule.acknowledgeRights.isEmpty, evaluator.mayAct(person, on: RuleState(tierSignature: rule.tierSignature), of: rule) {
                mayActOn.append(rule.id)
            }
        }
        self.entries = entries
        self.mayActOn = mayActOn
    }

    /// The resolver's verdict on `user` for one audience; nil when no selector names them.
    /// First without relations (a role or group path holds for every subject); only if
    /// that does not name them, with an event that names them under every relation.
    static func entry(_ user: Int, _ rule: Rule, _ stage: String, _ selectors: [RecipientSelector], _ config: HeraldConfig) -> Entry? {
        let id = config.directory.users[user].id
        let names = selectors.compactMap { selector -> String? in
            if case .relation(let name) = selector { return name }
            return nil
        }
        for relations in [[:], Dictionary(names.map { ($0, id) }, uniquingKeysWith: { a, _ in a })] where relations.isEmpty || !names.isEmpty {
            let event = MetricEvent(metric: rule.metric, value: 0, subject: MetricEvent.Subject(id: "(lookup)"), relations: relations)
            let resolution = config.resolver.resolve(selectors, requiredRights: rule.requiredRights, event: event)
            if let told = resolution.recipients.first(where: { $0.user == user }) {
                return Entry(ruleID: rule.id, ruleName: rule.name, stage: stage, path: told.path.render(in: config.directory, user: user),
                             excluded: nil, needsRelation: Self.isRelation(told.path))
            }
            if let left = resolution.excluded.first(where: { $0.user == user }) {
                return Entry(ruleID: rule.id, ruleName: rule.name, stage: stage, path: nil,
                             excluded: "\(left.path.render(in: config.directory, user: user)): \(left.reason)", needsRelation: Self.isRelation(left.path))
            }
        }
        return nil
    }

    /// The selectors an escalation step names, directly or through another tier of the rule.
    static func selectors(_ audience: EscalationChain.Audience, _ rule: Rule) -> [RecipientSelector] {
        switch audience {
        case .selectors(let selectors): selectors
        case .tier(let name): rule.tierIndex(named: name).map { rule.tiers[$0].notify } ?? []
        }
    }

    static func isRelation(_ path: SelectionPath) -> Bool {
        if case .relation = path { return true }
        return false
    }
}
