import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore
import HeraldSupport

/// Moves outbox rows to webhook targets and records every outcome in the store.
///
/// Rows arrive two ways: pushed right after their commit (low latency), and polled
/// from the store (retries that fell due, rows left over from before a restart). The
/// in-flight set makes sure a row is never sent twice at once; a row leaves the outbox
/// only when its final outcome is committed, so a crash can repeat a delivery (same
/// `webhook-id`) but never skip one.
final class DeliveryEngine: @unchecked Sendable {
    /// How often due rows are read from the store: bounds the delay of a retry that
    /// fell due, at the cost of one indexed query.
    static let pollInterval: DispatchTimeInterval = .milliseconds(250)
    /// Most rows read per poll; the dispatcher's per-target queues bound the rest.
    static let pollBatch = 1000
    /// Delivery ids remembered as finished, to drop stale pushes (see `submit`).
    static let recentlyFinishedLimit = 20_000
    /// How long 2xx outcomes gather before one transaction records them. Short against
    /// any retry or poll interval; a crash inside it only means those webhooks are sent
    /// again (same webhook-id), which at-least-once delivery allows.
    static let deliveredLinger: DispatchTimeInterval = .milliseconds(50)

    private let queue = DispatchQueue(label: "herald.deliver")
    private let store: Store
    private let holder: ConfigHolder
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let client: WebhookClient
    private var dispatcher: WebhookDispatcher!
    private var timer: DispatchSourceTimer?
    private let interval: DispatchTimeInterval

    // Confined to `queue`.
    /// Delivery id → target id of every row handed to the dispatcher and not yet reported.
    private var inFlight: [String: String] = [:]
    /// Rows in `inFlight` per target id.
    private var inFlightPerTarget: [String: Int] = [:]
    /// Targets that answered 410 Gone; their rows wait in the outbox until a reload.
    private var disabledTargets: Set<String> = []
    /// Attempts that ended recently (see `submit`), and their order for forgetting.
    private var recentlyFinished: Set<String> = []
    private var finishedOrder: [String] = []
    private var polls = 0
    /// Targets with due rows left in the outbox because their queue was full or the last
    /// poll could not read them all: polled again as soon as they have room, not only on
    /// the timer (which alone sent a large fan-out at ≈ 1,000 rows per 250 ms).
    private var backlogged: Set<String> = []
    /// A poll for a backlogged target is queued and has not run yet.
    private var refillQueued = false
    /// 2xx outcomes not yet recorded; their ids stay in `inFlight` until they are, so a
    /// poll cannot send them again.
    private var delivered: [(report: DeliveryReport, status: Int?, at: Date)] = []
    /// Most 2xx outcomes recorded in one transaction.
    static let maxDeliveredPerTransaction = 512

    /// `pollInterval` and `maxQueuedJobs` (per target, see `WebhookDispatcher`) are for
    /// tests; the daemon takes the defaults.
    init(store: Store, holder: ConfigHolder, metrics: MetricsRegistry, logger: Logger,
         pollInterval: DispatchTimeInterval = DeliveryEngine.pollInterval,
         maxQueuedJobs: Int = WebhookDispatcher.maxQueuedJobsPerTarget) throws(TransportError) {
        self.store = store
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        self.interval = pollInterval
        self.client = try WebhookClient()
        self.dispatcher = WebhookDispatcher(client: client, version: HeraldVersion.string, metrics: metrics,
                                            maxQueuedJobs: maxQueuedJobs) { [weak self] report in
            self?.record(report)
        }
        metrics.describe("herald_outbox_depth", type: .gauge, help: "Deliveries waiting in the outbox (pending or retrying).")
        metrics.describe("herald_dead_letters_total", type: .counter, help: "Deliveries that ended as dead letters, by target.")
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        self.timer = timer
    }

    /// Rows just committed: send them now rather than at the next poll. Rows not yet
    /// due (held for quiet hours) are left to the poll that finds them due. A poll may
    /// have read, sent and finished a row before this push arrives; such a stale copy
    /// is skipped, or the webhook would go out twice.
    func submit(_ rows: [OutboxRecord]) {
        queue.async { [self] in
            let now = Date()
            for row in rows where row.nextAttemptAt <= now && !recentlyFinished.contains(row.deliveryID) { send(row) }
        }
    }

    /// Remembers attempts that ended, bounded (the oldest are forgotten first): long
    /// enough for a pushed batch to reach the queue, small in memory.
    private func rememberFinished(_ deliveryID: String) {
        guard recentlyFinished.insert(deliveryID).inserted else { return }
        finishedOrder.append(deliveryID)
        if finishedOrder.count > Self.recentlyFinishedLimit {
            let forget = finishedOrder.count - Self.recentlyFinishedLimit / 2
            for id in finishedOrder.prefix(forget) { recentlyFinished.remove(id) }
            finishedOrder.removeFirst(forget)
        }
    }

    /// After a reload: targets disabled by 410 get another chance.
    func reloaded() {
        queue.async { [self] in disabledTargets.removeAll() }
    }

    private func poll() {
        polls += 1
        do {
            let skipped = targetsToSkip()
            let due = try store.dueDeliveries(now: Date(), limit: Self.pollBatch, excludingTargets: skipped)
            // A full read may have left rows behind; a busy target's rows were not read at all.
            backlogged = skipped.subtracting(disabledTargets)
            if due.count == Self.pollBatch { backlogged.formUnion(due.compactMap { Destination(key: $0.target)?.target }) }
            due.forEach(send)
            if polls % 4 == 0 { metrics.set("herald_outbox_depth", to: Double(try store.outboxDepth())) }
        } catch {
            logger.warning("cannot read the outbox, will retry", ["error.code": error.code.rawValue, "error": error.message])
        }
    }

    /// Targets whose rows the poll must not read: those disabled by 410 and those that
    /// already have their share of the read in flight. Their rows are due but cannot be
    /// sent now; read first (oldest first), a backlog of them would fill every poll and
    /// hide other targets' due retries for as long as it lasts. The store matches the
    /// target id of destination keys (`target@user:id`).
    private func targetsToSkip() -> Set<String> {
        dispatchPrecondition(condition: .onQueue(queue))
        let share = pollShare
        return disabledTargets.union(inFlightPerTarget.filter { $0.value >= share }.keys)
    }

    /// Rows one target may have in flight and still be read by a poll: below it, the rows
    /// in flight of all targets together leave room in the read.
    private var pollShare: Int { max(1, Self.pollBatch / (holder.snapshot.config.targets.count + 1)) }

    /// Polls at once when `target` is backlogged and has dropped below its share.
    private func refillIfRoom(_ target: String) {
        guard !refillQueued, backlogged.contains(target), inFlightPerTarget[target, default: 0] < pollShare else { return }
        refillQueued = true
        queue.async { [self] in
            refillQueued = false
            poll()
        }
    }

    private func markInFlight(_ deliveryID: String, target: String) {
        inFlight[deliveryID] = target
        inFlightPerTarget[target, default: 0] += 1
    }

    private func clearInFlight(_ deliveryID: String) {
        rememberFinished(deliveryID)
        guard let target = inFlight.removeValue(forKey: deliveryID) else { return }
        inFlightPerTarget[target, default: 1] -= 1
        if inFlightPerTarget[target] == 0 { inFlightPerTarget[target] = nil }
        refillIfRoom(target)
    }

    private func send(_ row: OutboxRecord) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard inFlight[row.deliveryID] == nil else { return }
        let runtime = holder.snapshot
        guard let destination = Destination(key: row.target), let settings = runtime.targets[destination.target],
              let address = destination.address(in: runtime.config), let url = URL(string: address) else {
            deadLetter(row, attempts: row.attempts, status: nil,
                       error: "target of '\(row.target)' is no longer configured", excerpt: nil)
            return
        }
        guard !disabledTargets.contains(destination.target) else { return }
        var target = settings
        target.url = url
        let job = DeliveryJob(deliveryID: row.deliveryID, target: target, body: row.body, attempts: row.attempts, createdAt: row.createdAt)
        if dispatcher.enqueue(job) {
            markInFlight(row.deliveryID, target: destination.target)
        } else {
            backlogged.insert(destination.target)
        }
    }

    /// One attempt's outcome, persisted; runs on the client's callback queue.
    private func record(_ report: DeliveryReport) {
        queue.async { [self] in
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
                case .retry(let at, let status, let error):
                    _ = try store.recordAttempt(deliveryID: id, attempts: report.attempt, nextAttemptAt: at, lastStatus: status, lastError: error)
                    logger.info("webhook attempt failed, will retry", ["target": target, "delivery.id": id, "attempt": report.attempt,
                                                                       "retry.at": NotificationJSON.timestamp(at), "error": error])
                case .deadLetter(let status, let error, let excerpt):
                    _ = try store.moveToDeadLetter(deliveryID: id, status: status, error: error, responseExcerpt: excerpt, at: Date())
                    metrics.increment("herald_dead_letters_total", [("target", target)])
                    logger.warning("webhook delivery failed for good, kept as a dead letter",
                                   ["target": target, "delivery.id": id, "status": status.map(String.init) ?? "-", "error": error])
                case .targetDisabled(let status):
                    disabledTargets.insert(target)
                    _ = try store.moveToDeadLetter(deliveryID: id, status: status, error: "target answered 410 Gone; disabled until the next reload",
                                                   responseExcerpt: nil, at: Date())
                    metrics.increment("herald_dead_letters_total", [("target", target)])
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
    private func recordDelivered() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !delivered.isEmpty else { return }
        let batch = delivered
        delivered = []
        for entry in batch { clearInFlight(entry.report.job.deliveryID) }
        do {
            try store.markDelivered(batch.map { Store.Delivered(deliveryID: $0.report.job.deliveryID, status: $0.status, at: $0.at) })
        } catch {
            logger.error("cannot record delivery outcomes, the deliveries will be repeated",
                         ["deliveries": batch.count, "error.code": error.code.rawValue])
            return
        }
        for entry in batch {
            metrics.observe("herald_delivery_latency_seconds", [("target", entry.report.job.target.name)],
                            value: entry.at.timeIntervalSince(entry.report.job.createdAt),
                            help: "Time from the notification's commit to its webhook's 2xx.")
        }
    }

    private func deadLetter(_ row: OutboxRecord, attempts: Int, status: Int?, error: String, excerpt: Data?) {
        do {
            _ = try store.moveToDeadLetter(deliveryID: row.deliveryID, status: status, error: error, responseExcerpt: excerpt, at: Date())
            metrics.increment("herald_dead_letters_total", [("target", row.target)])
            logger.warning("delivery kept as a dead letter", ["delivery.id": row.deliveryID, "error": error])
        } catch {
            logger.error("cannot move a delivery to the dead letters", ["delivery.id": row.deliveryID, "error.code": error.code.rawValue])
        }
    }

    /// Stops polling, lets in-flight requests finish until `deadline`; everything not
    /// finished stays in the outbox for the next start.
    func shutdown(deadline: DispatchTime) {
        queue.sync { timer?.cancel() }
        _ = dispatcher.shutdown(deadline: deadline)
        queue.sync { recordDelivered() }
    }
}
