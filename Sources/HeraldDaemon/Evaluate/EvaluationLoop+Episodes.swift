import Foundation
import HeraldCore
import HeraldStore

/// Manual actions on an episode (acknowledge, unacknowledge, resolve), from the API or an
/// ack link: decided by the core on the evaluation queue, then the changed state, the
/// notices it sends and an audit record naming who acted are committed together, and
/// the caller is answered only after that commit.
extension EvaluationLoop {
    /// What a committed action did, for the API's answer.
    struct ActionResult: Sendable {
        let action: EpisodeAction
        let episodeID: String
        let actor: String
        /// False when the action changed nothing (acknowledging again by the same person).
        let changed: Bool
        let state: RuleState
        let tierName: String?
        let notifications: [String]
    }

    /// Why an action was not done: the core refused it, or the store could not commit.
    enum ActionFailure: Error, Sendable {
        case refused(AckError)
        case unavailable(String)
    }

    typealias ActionCompletion = @Sendable (Result<ActionResult, ActionFailure>) -> Void

    /// Runs `action` on `episodeID` as `actor`; `completion` runs after the commit.
    ///
    /// When other instances share the store, the episode's row is read first (another
    /// instance may have started or moved it), and an action whose commit conflicts is
    /// decided again on the re-read row (`attempt` counts, see `+Revisions`).
    func act(_ action: EpisodeAction, episodeID: String, by actor: EpisodeActor, attempt: Int = 1,
             completion: @escaping ActionCompletion) {
        queue.async { [self] in
            if needsResync, let problem = resync() { return completion(.failure(.unavailable(problem))) }
            if store.isShared, let key = RuleStateKey(episodeID: episodeID) {
                do throws(StoreError) {
                    // Only a newer row replaces memory: a write of this instance still
                    // being committed is newer than the row, and the action builds on it.
                    merge(try store.ruleStates([RuleStateRowKey(ruleID: key.ruleID, subjectID: key.subjectID)]))
                } catch {
                    return completion(.failure(.unavailable("the state store cannot be read (\(error.code.rawValue))")))
                }
            }
            let now = Date()
            let before = state.key(forEpisode: episodeID).flatMap { state.rules[$0] }
            let decided: Result<EpisodeActionOutcome, AckError>
            switch action {
            case .acknowledge: decided = evaluator.acknowledge(episodeID: episodeID, by: actor, state: &state, now: now)
            case .unacknowledge: decided = evaluator.unacknowledge(episodeID: episodeID, by: actor, state: &state, now: now)
            case .resolve: decided = evaluator.resolve(episodeID: episodeID, by: actor, state: &state, now: now)
            }
            let outcome: EpisodeActionOutcome
            switch decided {
            case .failure(let refusal): return completion(.failure(.refused(refusal)))
            case .success(let done): outcome = done
            }
            rearmEscalationTimer(now: now)
            let tier = outcome.state.tier.flatMap { index in
                evaluator.config.rule(id: outcome.key.ruleID).flatMap { index < $0.tiers.count ? $0.tiers[index].name : nil }
            }
            let result = ActionResult(action: action, episodeID: episodeID, actor: actor.description, changed: before != outcome.state,
                                      state: outcome.state, tierName: tier, notifications: outcome.notifications.map(\.id))
            guard result.changed else { return completion(.success(result)) }
            var batch = CommitBatch()
            batch.ruleStateUpserts = plannedWrites([outcome.key])
            var reports = NoticeReports()
            add(outcome.notifications, to: &batch, reports: &reports, now: now)
            batch.audit.append(planner.actionRecord(action, outcome: outcome, episodeID: episodeID, actor: actor, now: now))
            commit(batch, now: now, reports: reports) { [self] error in
                if let error, mayRetry(error, attempt: attempt) {
                    return act(action, episodeID: episodeID, by: actor, attempt: attempt + 1, completion: completion)
                }
                if let error { return completion(.failure(.unavailable("the state store cannot commit (\(error.code.rawValue))"))) }
                logger.notice("episode \(action.rawValue)d by hand", ["episode.id": episodeID, "actor": actor.description,
                                                                    "notifications": outcome.notifications.count])
                completion(.success(result))
            }
        }
    }
}
