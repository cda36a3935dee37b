import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// The changes an operator makes by hand outside an episode — adding, expiring and
/// deleting silences, re-queueing dead letters — shared by the API and the operator UI,
/// so both make the same change and leave the same audit record naming who acted
/// (`operator:<token id>`), next to the episode actions in the audit log. The change and
/// its record are written in one transaction (`StateStore.applyOperatorChange`): there
/// is no change without its record.
struct OperatorActions: Sendable {
    let evaluation: EvaluationLoop
    let store: any StateStore
    let logger: Logger

    /// Why an action changed nothing.
    enum Failure: Error {
        /// A silence with this id exists already.
        case exists
        /// No silence or dead letter with this id.
        case unknown
        case unavailable(StoreError)
    }

    /// Stores `silence` and applies it before returning (notices committed afterwards see it).
    func addSilence(_ silence: Silence, actor: String, now: Date) -> Result<Void, Failure> {
        do {
            let audit = OperatorAudit.silence(.silence, silence, createdAt: now, actor: actor, now: now)
            guard try store.applyOperatorChange(.addSilence(SilenceJSON.record(silence, createdAt: now)), audit: audit) else {
                return .failure(.exists)
            }
        } catch {
            return .failure(.unavailable(error))
        }
        evaluation.reloadSilences()
        logger.notice("silence added", ["silence.id": silence.id, "author": silence.author, "actor": actor,
                                        "ends": NotificationJSON.timestamp(silence.endsAt)])
        return .success(())
    }

    /// Ends the silence now (the record stays, for the audit entries that name it); the
    /// silence as it is afterwards and its creation time. An ended one is left as it was.
    func expireSilence(id: String, actor: String, now: Date) -> Result<(Silence, createdAt: Date), Failure> {
        do {
            guard let record = try store.silence(id: id), let silence = SilenceJSON.silence(record) else { return .failure(.unknown) }
            let expired = SilenceJSON.expired(silence, at: now)
            guard expired != silence else { return .success((silence, record.createdAt)) }
            let audit = OperatorAudit.silence(.expireSilence, expired, createdAt: record.createdAt, actor: actor, now: now)
            guard try store.applyOperatorChange(.replaceSilence(SilenceJSON.record(expired, createdAt: record.createdAt)),
                                                audit: audit) else { return .failure(.unknown) }
            evaluation.reloadSilences()
            logger.notice("silence expired", ["silence.id": id, "actor": actor])
            return .success((expired, record.createdAt))
        } catch {
            return .failure(.unavailable(error))
        }
    }

    /// Removes the silence for good (audit entries it suppressed keep its id).
    func deleteSilence(id: String, actor: String, now: Date) -> Result<Void, Failure> {
        do {
            guard let record = try store.silence(id: id) else { return .failure(.unknown) }
            let deleted: Bool
            if let silence = SilenceJSON.silence(record) {
                let audit = OperatorAudit.silence(.deleteSilence, silence, createdAt: record.createdAt, actor: actor, now: now)
                deleted = try store.applyOperatorChange(.deleteSilence(id: id), audit: audit)
            } else {
                // A body this version cannot read has nothing to put in the record; the
                // journal names who removed it.
                deleted = try store.deleteSilence(id: id)
                logger.warning("unreadable silence deleted without an audit record", ["silence.id": id, "actor": actor])
            }
            guard deleted else { return .failure(.unknown) }
            evaluation.reloadSilences()
            logger.notice("silence deleted", ["silence.id": id, "actor": actor])
            return .success(())
        } catch {
            return .failure(.unavailable(error))
        }
    }

    /// Puts a dead letter back in the outbox (same webhook id) and counts it in its
    /// target's backlog (an operator's re-queue may take a target past its limit; that
    /// is their call).
    func retryDeadLetter(id: String, actor: String, now: Date) -> Result<Void, Failure> {
        do {
            let found = try OperatorAudit.deadLetter(id, in: store)
            let audit = OperatorAudit.retry(deliveryID: id, letter: found?.0, notice: found?.1, actor: actor, now: now)
            guard try store.applyOperatorChange(.requeueDeadLetter(deliveryID: id, now: now), audit: audit) else {
                return .failure(.unknown)
            }
            if let depths = try? store.outboxDepthByTarget() { evaluation.backlog.seed(depths) }
            logger.notice("dead letter re-queued", ["delivery.id": id, "actor": actor])
            return .success(())
        } catch {
            return .failure(.unavailable(error))
        }
    }
}
