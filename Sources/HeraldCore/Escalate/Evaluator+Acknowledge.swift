public import Foundation

/// Acknowledge, unacknowledge and resolve by hand: pure decisions on the evaluation
/// state, like `evaluate` and `tick`. The daemon checks the API token's scope, calls
/// these on the evaluation queue and commits the outcome's state and notices together
/// (with an audit record naming the actor).
extension Evaluator {
    /// Takes the episode on: stops its escalation timer and, if the rule says so, tells
    /// everyone told so far (`acknowledged`, reason `manual`). Acknowledging again by
    /// the same actor changes nothing and sends nothing.
    public func acknowledge(episodeID: String, by actor: EpisodeActor, state: inout EvaluationState,
                            now: Date) -> Result<EpisodeActionOutcome, AckError> {
        act(on: episodeID, by: actor, state: &state) { key, rule, ruleState in
            if let by = ruleState.acknowledgedBy {
                guard by == actor.description else {
                    return .failure(AckError(code: .alreadyAcknowledged, message: "episode '\(episodeID)' was acknowledged by '\(by)' already"))
                }
                return .success([])
            }
            ruleState.acknowledgedBy = actor.description
            ruleState.acknowledgedAt = now
            EscalationClock.stop(&ruleState)
            guard rule.notifyAcknowledged else { return .success([]) }
            let notices = manualNotices(key, rule, ruleState, actor: actor, now: now)
            return .success(notices.toTold(.acknowledged, tier: ruleState.tier ?? 0, &ruleState).map { [$0] } ?? [])
        }
    }

    /// Gives the episode back: the acknowledgement is withdrawn and the current tier's
    /// escalation chain runs again from its first step, counted from `now`. Sends no
    /// notice (the chain's steps will).
    public func unacknowledge(episodeID: String, by actor: EpisodeActor, state: inout EvaluationState,
                              now: Date) -> Result<EpisodeActionOutcome, AckError> {
        act(on: episodeID, by: actor, state: &state) { _, rule, ruleState in
            guard ruleState.isAcknowledged else {
                return .failure(AckError(code: .notAcknowledged, message: "episode '\(episodeID)' is not acknowledged"))
            }
            EscalationClock.clearAcknowledgement(&ruleState)
            EscalationClock.restart(&ruleState, tier: ruleState.tier ?? 0, of: rule, at: now)
            return .success([])
        }
    }

    /// Ends the episode by hand: `resolved` (reason `manual`) to everyone told, then the
    /// state is below all tiers. The next event still at a tier starts a new episode.
    public func resolve(episodeID: String, by actor: EpisodeActor, state: inout EvaluationState,
                        now: Date) -> Result<EpisodeActionOutcome, AckError> {
        act(on: episodeID, by: actor, state: &state) { key, rule, ruleState in
            let notices = manualNotices(key, rule, ruleState, actor: actor, now: now)
            let notification = notices.toTold(.resolved, tier: ruleState.tier ?? 0, &ruleState)
            EscalationClock.endEpisode(&ruleState)
            return .success(notification.map { [$0] } ?? [])
        }
    }

    /// Finds the episode's state, checks the actor may act on it, runs `change` on a
    /// copy and stores the copy only if `change` succeeded.
    private func act(on episodeID: String, by actor: EpisodeActor, state: inout EvaluationState,
                     _ change: (RuleStateKey, Rule, inout RuleState) -> Result<[Notification], AckError>) -> Result<EpisodeActionOutcome, AckError> {
        let unknown = AckError(code: .unknownEpisode, message: "no episode '\(episodeID)'")
        guard let parts = EpisodeIDParts(episodeID), var ruleState = state.rules[parts.key],
              let rule = config.rule(id: parts.key.ruleID) else { return .failure(unknown) }
        let current = ruleState.episodeID(for: parts.key) == episodeID
        guard current || parts.number < ruleState.episode else { return .failure(unknown) }
        guard current, ruleState.tier != nil else {
            return .failure(AckError(code: .episodeEnded, message: "episode '\(episodeID)' has ended"))
        }
        guard mayAct(actor, on: ruleState, of: rule) else {
            return .failure(AckError(code: .notAllowed,
                                     message: "'\(actor)' was not notified in episode '\(episodeID)' and holds none of the rights that allow acting on it"))
        }
        return change(parts.key, rule, &ruleState).map { notifications in
            state.rules[parts.key] = ruleState
            return EpisodeActionOutcome(key: parts.key, state: ruleState, notifications: notifications)
        }
    }

    /// Operators always; a user if active and told in this episode or holding one of
    /// the rule's `acknowledgeRights` (a `section.*` entry needs the whole section).
    public func mayAct(_ actor: EpisodeActor, on ruleState: RuleState, of rule: Rule) -> Bool {
        guard case .user(let id) = actor else { return true }
        let directory = config.directory
        guard let u = directory.user(id), directory.users[u].active else { return false }
        if ruleState.told.contains(id) { return true }
        return rule.acknowledgeRights.contains { right in
            let needed = directory.rights.expand(right)
            return needed != RightSet() && directory.users[u].rights.isSuperset(of: needed)
        }
    }

    private func manualNotices(_ key: RuleStateKey, _ rule: Rule, _ ruleState: RuleState, actor: EpisodeActor, now: Date) -> EpisodeNotices {
        EpisodeNotices(rule: rule, subjectID: key.subjectID, event: ruleState.episodeEvent(key, rule: rule), time: now,
                       config: config, reason: .manual, actor: actor.description)
    }
}
