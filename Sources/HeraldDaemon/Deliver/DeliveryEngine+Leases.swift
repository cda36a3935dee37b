import Foundation
import HeraldDelivery
import HeraldStore
import HeraldSupport

/// Claims on rows held in memory, in a store several instances share (`OutboxLeases`):
/// renewed every third of the lease off the engine's queue, and a row whose claim may
/// have run out is dropped instead of sent.
extension DeliveryEngine {
    /// Starts the renewal timer (shared stores only).
    func startRenewingClaims() {
        guard let leases, renewsClaims else { return }
        let timer = DispatchSource.makeTimerSource(queue: leaseQueue)
        timer.schedule(deadline: .now() + leases.renewalInterval, repeating: leases.renewalInterval)
        timer.setEventHandler { [weak self] in self?.renewClaims() }
        timer.resume()
        leaseQueue.sync { leaseTimer = timer }
    }

    /// Renews the claims of every row held in memory; the rows the store no longer
    /// confirms keep their last time and are dropped by the guard when it runs out.
    func renewClaims() {
        guard let leases else { return }
        let ids = leases.heldIDs()
        guard !ids.isEmpty else { return }
        let before = OutboxLeases.now()
        do {
            let renewed = try store.renewClaims(ids)
            leases.renewed(renewed, at: before)
            metrics.increment(DaemonMetrics.claimsRenewed, by: Double(renewed.count),
                              help: "Claims on outbox rows held in memory renewed (shared store).")
        } catch {
            logger.warning("cannot renew the claims on outbox rows held for sending; a row whose claim runs out is left to the next claim",
                           ["rows": ids.count, "error.code": error.code.rawValue, "error": error.message])
        }
    }

    /// The dispatcher did not start `job`: its claim may have run out while it waited.
    /// Dropped from memory; the row stays in the outbox for whoever claims it next.
    func claimLapsed(_ job: DeliveryJob) {
        queue.async { [self] in
            clearInFlight(job.deliveryID)
            countLapsed(target: job.target.name)
        }
    }

    func countLapsed(target: String) {
        metrics.increment(DaemonMetrics.claimsLapsed, [("target", target)],
                          help: "Outbox rows not sent because this instance's claim on them may have run out (shared store).")
        logger.debug("claim on an outbox row may have run out, leaving it to the next claim", ["target": target])
    }
}
