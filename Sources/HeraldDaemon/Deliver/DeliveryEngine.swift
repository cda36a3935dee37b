import Foundation
import Synchronization
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
    /// Rows pushed after their commit (`submit`) and not yet taken up by the engine's
    /// queue, at most. Behind a target that fails fast the queue is busy recording one
    /// attempt after another (a store write each), and every commit's rows, each with its
    /// notice, used to wait behind that work without bound: ≈ 100 MB of the daemon's
    /// peak while 300,000 events were ingested (issue #22, heaptrack). Past this a push
    /// is left out: its rows are in the outbox, and the poll sends them when it reaches
    /// them. ≈ 10 MB of notices; a healthy target keeps it near empty. A push arriving
    /// when none waits is taken whatever its size, so one notice's fan-out (9,896 rows
    /// from one commit in the benchmark) still goes straight to the sender.
    static let maxPushedRowsWaiting = 10_000
    /// How long 2xx outcomes gather before one transaction records them. Short against
    /// any retry or poll interval; a crash inside it only means those webhooks are sent
    /// again (same webhook-id), which at-least-once delivery allows.
    static let deliveredLinger: DispatchTimeInterval = .milliseconds(50)

    let queue = DispatchQueue(label: "herald.deliver")
    let store: any StateStore
    let holder: ConfigHolder
    /// The base of the acknowledgement links in bodies written at send time.
    let publicURL: PublicURL
    /// Outbox rows per target (shared with the evaluation loop): a row leaving the
    /// outbox gives its place back.
    let backlog: BacklogLimiter
    let metrics: MetricsRegistry
    let logger: Logger
    private let client: WebhookClient
    let dispatcher: WebhookDispatcher
    /// False only in tests that stand for an instance whose renewals fail.
    let renewsClaims: Bool
    private var timer: DispatchSourceTimer?
    /// Pushed rows not yet taken up by `queue`, and their bound (see `maxPushedRowsWaiting`).
    private let pushedWaiting = Mutex(0)
    private let maxPushedRows: Int
    /// The notice whose rows are being sent, read once for all of them (on `queue`).
    private let lastNotice = LastNotice()
    private let interval: DispatchTimeInterval
    /// Claims on the rows held in memory, in a store several instances share; nil when
    /// only this process opens the store (nobody else can take a row).
    let leases: OutboxLeases?
    /// Renews `leases` off the engine's queue (a renewal is a store round trip).
    let leaseQueue = DispatchQueue(label: "herald.deliver.leases")
    var leaseTimer: DispatchSourceTimer?

    // Confined to `queue`.
    /// Delivery id → target id of every row handed to the dispatcher and not yet reported.
    var inFlight: [String: String] = [:]
    /// Rows in `inFlight` per target id.
    var inFlightPerTarget: [String: Int] = [:]
    /// Targets that answered 410 Gone; their rows wait in the outbox until a reload.
    var disabledTargets: Set<String> = []
    /// Attempts that ended recently (see `submit`), and their order for forgetting.
    private var recentlyFinished: Set<String> = []
    private var finishedOrder: [String] = []
    var polls = 0
    /// Targets with due rows left in the outbox because their queue was full or the last
    /// poll could not read them all: polled again as soon as they have room, not only on
    /// the timer (which alone sent a large fan-out at ≈ 1,000 rows per 250 ms).
    var backlogged: Set<String> = []
    /// A poll for a backlogged target is queued and has not run yet.
    var refillQueued = false
    /// 2xx outcomes not yet recorded; their ids stay in `inFlight` until they are, so a
    /// poll cannot send them again.
    var delivered: [(report: DeliveryReport, status: Int?, at: Date)] = []
    /// Most 2xx outcomes recorded in one transaction.
    static let maxDeliveredPerTransaction = 512

    /// `claimLease`: how long the store's outbox claims last when several instances share
    /// it (nil: one process, no leases). `pollInterval`, `maxQueuedJobs` (per target, see
    /// `WebhookDispatcher`), `maxPushedRows` (see `maxPushedRowsWaiting`) and
    /// `renewsClaims` are for tests; the daemon takes the defaults.
    init(store: any StateStore, holder: ConfigHolder, publicURL: PublicURL = PublicURL(), backlog: BacklogLimiter = BacklogLimiter(),
         metrics: MetricsRegistry, logger: Logger, claimLease: Swift.Duration? = nil,
         pollInterval: DispatchTimeInterval = DeliveryEngine.pollInterval,
         maxQueuedJobs: Int = WebhookDispatcher.maxQueuedJobsPerTarget, maxPushedRows: Int = DeliveryEngine.maxPushedRowsWaiting,
         renewsClaims: Bool = true) throws(TransportError) {
        self.store = store
        self.holder = holder
        self.publicURL = publicURL
        self.backlog = backlog
        self.metrics = metrics
        self.logger = logger
        self.interval = pollInterval
        self.maxPushedRows = maxPushedRows
        self.client = try WebhookClient()
        let leases = claimLease.map { OutboxLeases(lease: $0) }
        self.leases = leases
        self.renewsClaims = renewsClaims
        // The dispatcher reports to the engine, which does not exist yet while the
        // dispatcher is made: the relay is pointed at it once `init` completes.
        let relay = ReportRelay()
        self.dispatcher = WebhookDispatcher(client: client, version: HeraldVersion.string, metrics: metrics,
                                            maxQueuedJobs: maxQueuedJobs,
                                            mayStart: { job in leases?.mayStart(job.deliveryID) ?? true },
                                            onRefused: { job in relay.engine?.claimLapsed(job) }) { report in relay.engine?.record(report) }
        metrics.describe(DaemonMetrics.outboxDepth, type: .gauge, help: "Deliveries waiting in the outbox (pending or retrying).")
        metrics.describe(DaemonMetrics.deadLetters, type: .counter, help: "Deliveries that ended as dead letters, by target.")
        relay.engine = self
    }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        self.timer = timer
        startRenewingClaims()
    }

    /// Rows just committed: send them now rather than at the next poll. Rows not yet
    /// due (held for quiet hours) are left to the poll that finds them due. A poll may
    /// have read, sent and finished a row before this push arrives; such a stale copy
    /// is skipped, or the webhook would go out twice.
    func submit(_ rows: [OutboxRecord]) {
        let admitted = pushedWaiting.withLock { waiting -> Bool in
            guard waiting == 0 || waiting + rows.count <= maxPushedRows else { return false }
            waiting += rows.count
            return true
        }
        guard admitted else {
            return metrics.increment(DaemonMetrics.pushesDeferred, by: Double(rows.count),
                                     help: "Committed deliveries left to the outbox poll because many pushed ones were waiting.")
        }
        queue.async { [self] in
            pushedWaiting.withLock { $0 -= rows.count }
            // Within the rows' time resolution (whole milliseconds, rounded possibly up).
            let now = Date().addingTimeInterval(CommitPlanner.timeResolution)
            for row in rows where row.nextAttemptAt <= now && !recentlyFinished.contains(row.deliveryID) {
                send(row, claimedAt: OutboxLeases.claimTime(createdAt: row.createdAt))
            }
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

    private func markInFlight(_ deliveryID: String, target: String) {
        inFlight[deliveryID] = target
        inFlightPerTarget[target, default: 0] += 1
    }

    func clearInFlight(_ deliveryID: String) {
        rememberFinished(deliveryID)
        leases?.forget(deliveryID)
        guard let target = inFlight.removeValue(forKey: deliveryID) else { return }
        inFlightPerTarget[target, default: 1] -= 1
        if inFlightPerTarget[target] == 0 { inFlightPerTarget[target] = nil }
        refillIfRoom(target)
    }

    /// Hands `row` to the dispatcher. `claimedAt` (monotonic) is when this instance's claim
    /// on the row began, in a shared store: a row whose claim may have run out already is
    /// not sent (`OutboxLeases`).
    func send(_ row: OutboxRecord, claimedAt: UInt64) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard inFlight[row.deliveryID] == nil else { return }
        if let leases, !leases.isFresh(claimedAt) { return countLapsed(target: row.targetID) }
        let runtime = holder.snapshot
        guard let destination = Destination(key: row.target), let settings = runtime.targets[destination.target],
              let address = destination.address(in: runtime.config),
              let url = address.isEmpty ? settings.url : URL(string: address) else {
            deadLetter(row, attempts: row.attempts, status: nil, reason: .targetRemoved,
                       error: "target of '\(row.target)' is no longer configured", excerpt: nil)
            return
        }
        guard !disabledTargets.contains(destination.target) else { return }
        guard let body = DeliveryBody.data(row, runtime: runtime, publicURL: publicURL.base, notices: lastNotice) else {
            deadLetter(row, attempts: row.attempts, status: nil, reason: .noticeMissing,
                       error: "the notice '\(row.notificationID)' of this delivery is no longer in the audit log", excerpt: nil)
            return
        }
        let job: DeliveryJob
        // The notice was just read for the body: the cache answers without parsing again.
        let told = row.notice.flatMap { lastNotice.parsed(row.notificationID, $0)?.told }
        switch ChannelJobs.job(for: row, body: body, target: destination.target, settings: settings, url: url, runtime: runtime,
                               told: told) {
        case .success(let rendered): job = rendered
        case .failure(let error):
            deadLetter(row, attempts: row.attempts, status: nil, reason: .invalidRequest, error: error.message, excerpt: nil)
            return
        }
        // Held before the dispatcher may start it (it asks `leases` as it does).
        leases?.hold(row.deliveryID, claimedAt: claimedAt)
        if dispatcher.enqueue(job) {
            markInFlight(row.deliveryID, target: destination.target)
        } else {
            leases?.forget(row.deliveryID)
            backlogged.insert(destination.target)
        }
    }

    /// Stops polling, lets in-flight requests finish until `deadline`; everything not
    /// finished stays in the outbox for the next start.
    func shutdown(deadline: DispatchTime) {
        queue.sync { timer?.cancel() }
        _ = dispatcher.shutdown(deadline: deadline)
        queue.sync { recordDelivered() }
        leaseQueue.sync { leaseTimer?.cancel() }
    }
}

/// Carries the dispatcher's reports to the engine without a retain cycle. Written once
/// in the engine's `init`, before any job can be enqueued, and only read afterwards.
private final class ReportRelay: @unchecked Sendable {
    weak var engine: DeliveryEngine?
}
