import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// The changes an operator makes by hand outside an episode — adding, expiring and
/// deleting silences, re-queueing dead letters — shared by the API and the operator UI,
/// so both make the same change and leave the same audit record naming who acted
/// (`operator:<token id>`), next to the episode actions in the audit log.
///
/// The change is written first and its audit record right after, in a second short
/// transaction (the store has no requirement that writes a silence or a re-queue
/// together with an audit row). If that second write fails the change stands, and the
/// failure is logged with everything the record would have held.
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
            guard try store.addSilence(SilenceJSON.record(silence, createdAt: now)) else { return .failure(.exists) }
        } catch {
            return .failure(.unavailable(error))
        }
        evaluation.reloadSilences()
        logger.notice("silence added", ["silence.id": silence.id, "author": silence.author, "actor": actor,
                                        "ends": NotificationJSON.timestamp(silence.endsAt)])
        audit(OperatorAudit.silence(.silence, silence, createdAt: now, actor: actor, now: now))
        return .success(())
    }

    /// Ends the silence now (the record stays, for the audit entries that name it); the
    /// silence as it is afterwards and its creation time. An ended one is left as it was.
    func expireSilence(id: String, actor: String, now: Date) -> Result<(Silence, createdAt: Date), Failure> {
        do {
            guard let record = try store.silence(id: id), let silence = SilenceJSON.silence(record) else { return .failure(.unknown) }
            let expired = SilenceJSON.expired(silence, at: now)
            guard expired != silence else { return .success((silence, record.createdAt)) }
            try store.replaceSilence(SilenceJSON.record(expired, createdAt: record.createdAt))
            evaluation.reloadSilences()
            logger.notice("silence expired", ["silence.id": id, "actor": actor])
            audit(OperatorAudit.silence(.expireSilence, expired, createdAt: record.createdAt, actor: actor, now: now))
            return .success((expired, record.createdAt))
        } catch {
            return .failure(.unavailable(error))
        }
    }

    /// Removes the silence for good (audit entries it suppressed keep its id).
    func deleteSilence(id: String, actor: String, now: Date) -> Result<Void, Failure> {
        do {
            guard let record = try store.silence(id: id) else { return .failure(.unknown) }
            guard try store.deleteSilence(id: id) else { return .failure(.unknown) }
            evaluation.reloadSilences()
            logger.notice("silence deleted", ["silence.id": id, "actor": actor])
            if let silence = SilenceJSON.silence(record) {
                audit(OperatorAudit.silence(.deleteSilence, silence, createdAt: record.createdAt, actor: actor, now: now))
            }
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
            guard try store.requeueDeadLetter(deliveryID: id, now: now) else { return .failure(.unknown) }
            if let depths = try? store.outboxDepthByTarget() { evaluation.backlog.seed(depths) }
            logger.notice("dead letter re-queued", ["delivery.id": id, "actor": actor])
            audit(OperatorAudit.retry(deliveryID: id, letter: found?.0, notice: found?.1, actor: actor, now: now))
            return .success(())
        } catch {
            return .failure(.unavailable(error))
        }
    }

    /// Writes one audit record; a failure is logged (the change it records stands).
    private func audit(_ record: AuditRecord) {
        do {
            try store.commit([CommitBatch(audit: [record])])
        } catch {
            logger.error("operator action done but its audit record not written, recording it here instead",
                         ["audit.id": record.notificationID, "action": record.transition,
                          "record": String(decoding: record.payload, as: UTF8.self), "error": error.code.rawValue])
        }
    }
}
