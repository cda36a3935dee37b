import Foundation

/// The escalation timer of one (rule, subject), kept in its `RuleState` so it is as
/// durable as the tier itself: the daemon persists the state, and a restart finds the
/// timer where it was.
enum EscalationClock {
    /// The episode reached tier `tier` by value at `time`: the tier's chain starts over
    /// from its first step, counted from `time`. No timer when the tier has no chain
    /// or someone has acknowledged.
    static func arm(_ state: inout RuleState, tier: Int, of rule: Rule, at time: Date) {
        state.tierEnteredAt = time
        restart(&state, tier: tier, of: rule, at: time)
    }

    /// Runs the tier's chain again from its first step, counted from `time` (used by
    /// `arm` and by unacknowledging).
    static func restart(_ state: inout RuleState, tier: Int, of rule: Rule, at time: Date) {
        let chain = tier < rule.tiers.count ? rule.tiers[tier].escalation : nil
        state.escalationStep = chain == nil ? nil : 0
        state.escalationDueAt = state.isAcknowledged ? nil : chain?.steps.first.map { time.addingTimeInterval($0.after.seconds) }
    }

    /// The value fell to a lower tier: the situation is easing, so no timer runs (the
    /// people of the lower tier were told already); a new climb re-arms.
    static func disarm(_ state: inout RuleState, at time: Date) {
        state.tierEnteredAt = time
        state.escalationStep = nil
        state.escalationDueAt = nil
    }

    /// Someone acknowledged: the timer stops where it is.
    static func stop(_ state: inout RuleState) {
        state.escalationDueAt = nil
    }

    static func clearAcknowledgement(_ state: inout RuleState) {
        state.acknowledgedBy = nil
        state.acknowledgedAt = nil
    }

    /// The episode ended (by value or by hand): nothing of it remains but its number.
    static func endEpisode(_ state: inout RuleState) {
        state.tier = nil
        state.notifiedTiers = []
        state.told = []
        state.tierEnteredAt = nil
        state.escalationStep = nil
        state.escalationDueAt = nil
        state.lastEvent = nil
        clearAcknowledgement(&state)
    }
}
