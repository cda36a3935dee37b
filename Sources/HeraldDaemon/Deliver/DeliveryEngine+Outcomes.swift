import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore
import HeraldSupport

/// Outcome recording: every attempt's result becomes durable — delivered marks in
/// batches, retries with their next time, dead letters with their reason. Until an
/// outcome is recorded the row stays in the outbox, so a crash repeats, never skips.
extension DeliveryEngine {
    /// One attempt's outcome, persisted; runs on the client's callback queue.
    ///
    /// The report waits on the engine's queue without its body: recording needs only the
    /// ids, and behind a target that fails fast (connection refused) thousands of reports
    /// wait for their store writes. Holding each body (≈ 1.7 KB) was 168 MB of the
    /// daemon's peak while 300,000 events were ingested (issue #22, heaptrack).
    func record(_ report: DeliveryReport) {
        var bodiless = report
        bodiless.job.body = Data()
        queue.async { [self, report = bodiless] in
            if case .delivered(let status, _) = report.outcome {
                // Group commit for outcomes: the 2xx answers of the next `deliveredLinger` are
                // recorded by one transaction (one fsync, not one each). Nobody waits for these
                // marks, but ingest commits wait behind every transaction on the store queue:
                // at 1,000 webhooks/s one mark transaction per webhook doubled the fsyncs in
                // their way. Until recorded the ids stay in flight, so no poll sends them again.
                delivered.append((report, status, Date()))
                if delivered.count == 1 { queue.asyncAfter(deadline: .now() + Self.deliveredLinger) { [self] in recordDelivered() } }
                if delivered.count >= Self.maxDeliveredPerTransaction { recordDelivered() }
                return
            }
            clearInFlight(report.job.deliveryID)
            let id = report.job.deliveryID
            let target = report.job.target.name
            do throws(StoreError) {
                switch report.outcome {
                case .delivered:
                    break
                case .retry(let at, let status, let reason, let error):
                    _ = try store.recordAttempt(deliveryID: id, attempts: report.attempt, nextAttemptAt: at, lastStatus: status, lastError: error)
                    logger.info("webhook attempt failed, will retry", ["target": target, "delivery.id": id, "attempt": report.attempt,
                                                                       "retry.at": NotificationJSON.timestamp(at),
                                                                       "failure.reason": reason.rawValue, "error": error])
                case .deadLetter(let status, let reason, let error, let excerpt):
                    if try store.moveToDeadLetter(deliveryID: id, status: status, error: error, responseExcerpt: excerpt, at: Date()) {
                        backlog.release(target: target)
                    }
                    metrics.increment(DaemonMetrics.deadLetters, [("target", target), ("reason", reason.rawValue)])
                    logger.warning("webhook delivery failed for good, kept as a dead letter",
                                   ["target": target, "delivery.id": id, "status": status.map(String.init) ?? "-",
                                    "failure.reason": reason.rawValue, "error": error])
                case .targetDisabled(let status):
                    disabledTargets.insert(target)
                    if try store.moveToDeadLetter(deliveryID: id, status: status, error: "target answered 410 Gone; disabled until the next reload",
                                                  responseExcerpt: nil, at: Date()) {
                        backlog.release(target: target)
                    }
                    metrics.increment(DaemonMetrics.deadLetters, [("target", target), ("reason", FailureReason.gone.rawValue)])
                    for job in dispatcher.cancelPending(target: target) { clearInFlight(job.deliveryID) }
                    logger.warning("target answered 410 Gone, disabled until the next reload; its deliveries wait in the outbox", ["target": target])
                }
            } catch {
                // The row stays in the outbox and is sent again: at least once, never lost.
                logger.error("cannot record a delivery outcome, the delivery will be repeated",
                             ["delivery.id": id, "error.code": error.code.rawValue])
            }
        }
    }

    /// Records the waiting 2xx outcomes in one transaction. On failure the rows stay in
    /// the outbox and are sent again (at least once, never lost).
    func recordDelivered() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !delivered.isEmpty else { return }
        let batch = delivered
        delivered = []
        for entry in batch { clearInFlight(entry.report.job.deliveryID) }
        do {
            try store.markDelivered(batch.map { DeliveredRecord(deliveryID: $0.report.job.deliveryID, status: $0.status, at: $0.at) })
            for entry in batch { backlog.release(target: entry.report.job.target.name) }
        } catch {
            logger.error("cannot record delivery outcomes, the deliveries will be repeated",
                         ["deliveries": batch.count, "error.code": error.code.rawValue])
            return
        }
        for entry in batch {
            metrics.observe(DaemonMetrics.deliveryLatency, [("target", entry.report.job.target.name)],
                            value: entry.at.timeIntervalSince(entry.report.job.createdAt),
                            help: "Time from the notification's commit to its webhook's 2xx.")
        }
    }

    func deadLetter(_ row: OutboxRecord, attempts: Int, status: Int?, reason: FailureReason, error: String, excerpt: Data?) {
        do {
            if try store.moveToDeadLetter(deliveryID: row.deliveryID, status: status, error: error, responseExcerpt: excerpt, at: Date()) {
                backlog.release(target: row.targetID)
            }
            metrics.increment(DaemonMetrics.deadLetters, [("target", row.target), ("reason", reason.rawValue)])
            logger.warning("delivery kept as a dead letter", ["delivery.id": row.deliveryID, "failure.reason": reason.rawValue, "error": error])
        } catch {
            logger.error("cannot move a delivery to the dead letters", ["delivery.id": row.deliveryID, "error.code": error.code.rawValue])
        }
    }
}
