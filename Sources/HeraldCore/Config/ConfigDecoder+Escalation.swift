/// A tier's escalation chain: `{"steps": [{"after", "notify" | "tier"}], "repeat"}`.
extension ConfigDecoder {
    /// A step naming another tier, kept with its path so the name is checked once
    /// every tier of the rule is known (a step may name a later, more severe tier).
    struct TierReferenceToCheck {
        let name: String
        let path: JSONPath
    }

    /// Decodes `escalation` if present; nil when absent or unusable (errors reported).
    mutating func decodeEscalation(_ reader: inout ObjectReader, at path: JSONPath) -> (EscalationChain, [TierReferenceToCheck])? {
        guard var chainReader = reader.object("escalation") else { return nil }
        let chainPath = path.appending("escalation")
        let items = chainReader.array("steps", required: true)
        let repeatCount = chainReader.integer("repeat", in: 0...EscalationChain.maxRepeat) ?? 0
        chainReader.finish()
        guard let items else { return nil }
        if items.isEmpty {
            diagnostics.error("empty_value", chainPath.appending("steps"), "an escalation needs at least one step")
            return nil
        }
        if items.count > EscalationChain.maxSteps {
            diagnostics.error("out_of_range", chainPath.appending("steps"),
                              "an escalation may have at most \(EscalationChain.maxSteps) steps, found \(items.count)")
        }
        var steps: [EscalationChain.Step] = []
        var references: [TierReferenceToCheck] = []
        for (stepPath, item) in items {
            if let (step, reference) = decodeStep(item, at: stepPath) {
                steps.append(step)
                if let reference { references.append(reference) }
            }
        }
        guard steps.count == items.count else { return nil }
        return (EscalationChain(steps: steps, repeatCount: repeatCount), references)
    }

    private mutating func decodeStep(_ item: JSONValue, at path: JSONPath) -> (EscalationChain.Step, TierReferenceToCheck?)? {
        guard var reader = ObjectReader(item, at: path, diagnostics) else { return nil }
        var after: Duration?
        if reader.has("after") {
            after = reader.duration("after")
        } else {
            diagnostics.error("missing_key", path.appending("after"), "missing required key 'after'")
        }
        if let after, after.seconds <= 0 {
            diagnostics.error("out_of_range", path.appending("after"), "'after' must be longer than zero")
        }
        let kinds = ["notify", "tier"].filter { reader.members[$0] != nil }
        var audience: EscalationChain.Audience?
        var reference: TierReferenceToCheck?
        switch kinds {
        case ["notify"]:
            let selectors = decodeSelectors(&reader, at: path, owner: "an escalation step")
            if !selectors.isEmpty { audience = .selectors(selectors) }
        case ["tier"]:
            if let name = reader.string("tier", required: true) {
                audience = .tier(name)
                reference = TierReferenceToCheck(name: name, path: path.appending("tier"))
            }
        default:
            let found = kinds.isEmpty ? "none" : "both"
            diagnostics.error("bad_escalation_step", path, "an escalation step needs exactly one of 'notify' or 'tier', found \(found)")
            _ = kinds.map { reader.raw($0) }
        }
        reader.finish()
        guard let after, after.seconds > 0, let audience else { return nil }
        return (EscalationChain.Step(after: after, audience: audience), reference)
    }

    /// Reports step references to tiers the rule does not have.
    func checkTierReferences(_ references: [TierReferenceToCheck], names: Set<String>) {
        for reference in references where !names.contains(reference.name) {
            diagnostics.error("dangling_reference", reference.path,
                              "undefined tier '\(reference.name)'\(Suggestion.hint(for: reference.name, in: names)) (a step names a tier of the same rule)")
        }
    }
}
