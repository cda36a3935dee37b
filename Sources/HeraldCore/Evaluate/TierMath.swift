/// Which tier a value is in, per the rule's direction and hysteresis margin.
enum TierMath {
    /// Whether `value` reaches `threshold` in `direction` (a margin widens the band
    /// for staying in a tier already reached).
    static func reaches(_ value: Double, _ threshold: Double, _ direction: Direction, margin: Double = 0) -> Bool {
        switch direction {
        case .above: value >= threshold - margin
        case .below: value <= threshold + margin
        case .absolute: abs(value) >= threshold - margin
        }
    }

    /// The highest tier `value` reaches, or nil below all tiers, ignoring hysteresis.
    static func rawTier(_ value: Double, in rule: Rule) -> Int? {
        rule.tiers.indices.last { reaches(value, rule.tiers[$0].threshold, rule.direction) }
    }

    /// The tier after `value` arrives while in `current`: leaving a tier already
    /// reached needs the value beyond its threshold by more than the margin, so a value
    /// hovering around a threshold does not flap; entering a tier needs no margin.
    static func tier(_ value: Double, current: Int?, in rule: Rule) -> Int? {
        let raw = rawTier(value, in: rule)
        guard let current, rule.hysteresis > 0, current < rule.tiers.count else { return raw }
        let held = (0...current).last { reaches(value, rule.tiers[$0].threshold, rule.direction, margin: rule.hysteresis) }
        switch (raw, held) {
        case (let r?, let h?): return max(r, h)
        case (let r, let h): return r ?? h
        }
    }
}
