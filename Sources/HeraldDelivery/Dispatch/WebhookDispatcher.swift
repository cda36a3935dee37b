public import Dispatch
public import Foundation
public import HeraldSupport
import Synchronization

/// Signs, sends and judges webhook attempts, one queue per target.
///
/// The daemon owns persistence: it hands over due jobs from its outbox with `enqueue`,
/// and receives exactly one `DeliveryReport` per attempt through `onReport`, which it
/// persists (delivered / retry at / dead letter / disable target) and, for retries,
/// re-submits when due. Nothing is retried here, so nothing is lost when the process
/// stops: an unfinished job is simply still in the outbox.
public final class WebhookDispatcher: Sendable {
    /// Jobs waiting per target. A slow target accumulates work; past this bound, or past
    /// `maxQueuedBytesPerTarget` of bodies, `enqueue` refuses and the job stays in the
    /// outbox (the owner reads it again later), so memory stays flat. Large enough that
    /// one notice fanned out to a 10,000-member group goes straight from its commit to
    /// the sender: with 1,000, the other 9,000 waited for outbox polls and the fan-out
    /// went at ≈ 4,400 webhooks/s; now ≈ 25,000 (Benchmarks/limits.md).
    public static let maxQueuedJobsPerTarget = 10_000
    /// Body bytes waiting per target (a job arriving at an empty queue is taken whatever
    /// its size, or an oversized body would never leave the outbox).
    public static let maxQueuedBytesPerTarget = 16 << 20
    /// Headers the dispatcher sets (or curl frames) itself; config headers with these
    /// names are ignored so a target entry cannot spoof a signature or break framing.
    static let reservedHeaders: Set<String> = [
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent",
        "content-length", "transfer-encoding", "expect", "host", "connection",
    ]

    private struct State {
        var targets: [String: TargetQueue] = [:]
        var accepting = true
    }

    private let state = Mutex(State())
    private let client: WebhookClient
    private let userAgent: String
    private let metrics: DeliveryMetrics
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let onReport: @Sendable (DeliveryReport) -> Void
    private let mayStart: @Sendable (DeliveryJob) -> Bool
    private let onRefused: @Sendable (DeliveryJob) -> Void
    /// `maxQueuedJobsPerTarget` unless a test asked for fewer.
    private let queuedJobsLimit: Int

    /// - Parameters:
    ///   - version: Herald's version for `User-Agent: Herald/<version>`.
    ///   - now: the clock used for `webhook-timestamp` and retry times.
    ///   - random: values in `0..<1` for retry jitter.
    ///   - maxQueuedJobs: jobs waiting per target (tests reach the bound with fewer).
    ///   - mayStart: asked as each queued job is about to start, under the dispatcher's
    ///     lock (so it must be quick and must not call back): false when the owner no
    ///     longer holds the job's row — a shared outbox's claim that may have run out
    ///     while the job waited behind a slow target. Such a job is not sent; it is
    ///     handed to `onRefused` instead (no report), and the row stays in the outbox.
    ///   - onReport: called once per attempt, on the client's callback queue, one at a time.
    public init(client: WebhookClient, version: String, metrics: MetricsRegistry,
                now: @escaping @Sendable () -> Date = { Date() },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                maxQueuedJobs: Int = WebhookDispatcher.maxQueuedJobsPerTarget,
                mayStart: @escaping @Sendable (DeliveryJob) -> Bool = { _ in true },
                onRefused: @escaping @Sendable (DeliveryJob) -> Void = { _ in },
                onReport: @escaping @Sendable (DeliveryReport) -> Void) {
        self.mayStart = mayStart
        self.onRefused = onRefused
        self.queuedJobsLimit = maxQueuedJobs
        self.client = client
        self.userAgent = "Herald/\(version)"
        self.metrics = DeliveryMetrics(registry: metrics)
        self.now = now
        self.random = random
        self.onReport = onReport
    }

    /// Queues a job for its target. Returns false when the target's queue is full or the
    /// dispatcher is shutting down; the caller then leaves the job in its outbox.
    @discardableResult
    public func enqueue(_ job: DeliveryJob) -> Bool {
        let name = job.target.name
        let started: Starts? = state.withLock { state in
            guard state.accepting else { return nil }
            guard hasRoom(state.targets[name], for: job) else { return nil }
            // Changed in place through the dictionary: a copy taken out and written back
            // duplicated the whole pending array on every enqueue.
            state.targets[name, default: TargetQueue()].maxConcurrent = job.target.maxConcurrent
            state.targets[name, default: TargetQueue()].minInterval = job.target.minInterval
            state.targets[name, default: TargetQueue()].append(job)
            let started = takeStartable(&state, name)
            metrics.inflight(target: name, count: state.targets[name]?.inflight ?? 0)
            return started
        }
        guard let started else {
            metrics.rejected(target: name)
            return false
        }
        run(started)
        return true
    }

    /// Jobs taken from a queue: those to send, and those `mayStart` refused.
    private struct Starts {
        var started: [DeliveryJob] = []
        var refused: [DeliveryJob] = []
    }

    /// Outside the lock: hands refused jobs back, sends the others.
    private func run(_ starts: Starts) {
        starts.refused.forEach(onRefused)
        starts.started.forEach(attempt)
    }

    /// Starts what `name`'s queue allows now; when its rate holds jobs back, schedules
    /// one wake-up for when the next may start (never more than one per target).
    private func takeStartable(_ state: inout State, _ name: String) -> Starts {
        let now = now()
        var starts = Starts()
        guard let started = state.targets[name]?.takeStartable(now: now, mayStart: mayStart, refused: &starts.refused) else {
            return starts
        }
        starts.started = started
        if let wait = state.targets[name]?.rateWait(now: now), state.targets[name]?.wakeScheduled == false {
            state.targets[name]?.wakeScheduled = true
            DispatchQueue.global().asyncAfter(deadline: .now() + wait) { [weak self] in self?.wake(name) }
        }
        return starts
    }

    /// A rate-limited target's next request may start.
    private func wake(_ name: String) {
        let started = state.withLock { state -> Starts in
            state.targets[name]?.wakeScheduled = false
            return state.accepting ? takeStartable(&state, name) : Starts()
        }
        run(started)
    }

    /// Whether `queue` may take `job` (see `maxQueuedJobsPerTarget`).
    private func hasRoom(_ queue: TargetQueue?, for job: DeliveryJob) -> Bool {
        guard let queue, queue.pendingCount > 0 else { return true }
        return queue.pendingCount < queuedJobsLimit && queue.pendingBytes + job.body.count <= Self.maxQueuedBytesPerTarget
    }

    /// Jobs for `target` accepted but not yet started, removed from the queue (for example
    /// after a 410 disabled the target). They stay the caller's to keep in the outbox.
    public func cancelPending(target: String) -> [DeliveryJob] {
        state.withLock { $0.targets[target]?.removePending() ?? [] }
    }

    /// Jobs waiting (not in flight) for `target`.
    public func pendingCount(target: String) -> Int {
        state.withLock { $0.targets[target]?.pendingCount ?? 0 }
    }

    /// Stops accepting, drops jobs not yet started (returned, still in the outbox), and
    /// lets transfers in flight finish until `deadline`; the rest are aborted and
    /// reported as retries. Returns once the client has stopped.
    @discardableResult
    public func shutdown(deadline: DispatchTime) -> [DeliveryJob] {
        let dropped = state.withLock { state in
            state.accepting = false
            return state.targets.keys.sorted().flatMap { state.targets[$0]!.removePending() }
        }
        client.shutdown(deadline: deadline)
        // Responses are handed over on the client's serial callback queue: wait for those
        // already queued, so every transfer that finished has reached `onReport` when
        // this returns (the engine records its outcome before the process exits;
        // otherwise a webhook delivered during the stop would be sent again).
        client.callbackQueue.sync {}
        return dropped
    }

    // MARK: - One attempt

    /// Signs with the current time and sends; the response comes back to `finished`.
    private func attempt(_ job: DeliveryJob) {
        metrics.attemptStarted(target: job.target.name)
        guard !job.target.secrets.isEmpty || !job.target.requiresSignature else {
            // Config validation refuses unsigned targets; never send one unsigned.
            let unsigned = WebhookResponse(status: nil, retryAfter: nil, excerpt: Data(),
                                           error: .invalidRequest("target has no signing secret"), duration: 0)
            return client.callbackQueue.async { [self] in finished(job, unsigned) }
        }
        let request = WebhookRequest(url: job.target.url, headers: headers(for: job), body: job.body,
                                     connectTimeout: job.target.connectTimeout, timeout: job.target.timeout)
        client.send(request) { [self] response in finished(job, response) }
    }

    /// Standard Webhooks headers first (the signature only when the target has
    /// secrets; `webhook-id` always, stable across retries), then the target's own
    /// (minus reserved names).
    func headers(for job: DeliveryJob) -> [(String, String)] {
        Self.requestHeaders(for: job, userAgent: userAgent, now: now())
    }

    /// The headers of one attempt of `job` at `now` (also used by `herald send-test`).
    public static func requestHeaders(for job: DeliveryJob, userAgent: String, now: Date = Date()) -> [(String, String)] {
        var own = [("webhook-id", job.deliveryID)]
        if !job.target.secrets.isEmpty {
            let timestamp = Int(now.timeIntervalSince1970)
            let signature = WebhookSigner(secrets: job.target.secrets).sign(id: job.deliveryID, timestamp: timestamp, body: job.body)
            own += [("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)]
        }
        own += [("Content-Type", job.target.contentType), ("User-Agent", userAgent)]
        return own + job.target.headers.filter { !reservedHeaders.contains($0.0.lowercased()) }
    }

    /// Applies the retry policy, reports the outcome, then starts what the freed slot allows.
    private func finished(_ job: DeliveryJob, _ response: WebhookResponse) {
        let outcome = Self.outcome(for: response, job: job, now: now(), random: random)
        metrics.finished(target: job.target.name, outcome: outcome, duration: response.duration)
        // After a 410 the next job must not go out to the gone endpoint: its pending jobs
        // wait for the owner's `cancelPending` and stay in the owner's outbox.
        var targetGone = false
        if case .targetDisabled = outcome { targetGone = true }
        let started = state.withLock { state in
            state.targets[job.target.name]?.finishOne()
            let mayStartMore = state.accepting && !targetGone
            let started = mayStartMore ? takeStartable(&state, job.target.name) : Starts()
            metrics.inflight(target: job.target.name, count: state.targets[job.target.name]?.inflight ?? 0)
            return started
        }
        onReport(DeliveryReport(job: job, attempt: job.attempts + 1, outcome: outcome))
        run(started)
    }

    /// The outcome of `response` for `job`: classification and the requested wait as the
    /// target's receiver means them (`ResponseRules`), then the target's policy.
    static func outcome(for response: WebhookResponse, job: DeliveryJob, now: Date,
                        random: () -> Double) -> DeliveryOutcome {
        let rules = job.target.responseRules
        let attemptClass = rules.classify(status: response.status, error: response.error)
        let wait = rules.requestedWait(status: response.status, retryAfter: response.retryAfter, body: response.excerpt, now: now)
        let decision = job.target.retryPolicy.decide(attemptClass, attemptsMade: job.attempts + 1, createdAt: job.createdAt,
                                                     now: now, requestedWait: wait, random: random)
        switch decision {
        case .delivered:
            return .delivered(status: response.status ?? 0, duration: response.duration)
        case .disableTarget:
            return .targetDisabled(status: response.status ?? 410)
        case .retry(let at, let code, let reason):
            return .retry(at: at, status: response.status, reason: code, error: reason)
        case .deadLetter(let code, let reason):
            return .deadLetter(status: response.status, reason: code, error: reason, excerpt: response.excerpt)
        }
    }
}
