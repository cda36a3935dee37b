import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// Evaluate and commit: events from HTTP threads are evaluated in order on one serial
/// queue, their effects committed by the group committer, and the caller told only
/// after the commit (202 means durable).
///
/// The same queue runs the escalation timer (`EvaluationLoop+Timers`) and manual
/// actions on episodes (`EvaluationLoop+Episodes`): every change to the evaluation state
/// happens here, one at a time, and is committed through the same committer, so a
/// state row and the notices it caused are always written together.
///
/// The queue is bounded: events waiting for evaluation or commit are counted, and past
/// `maxDepth` a request is refused (429) instead of growing memory.
final class EvaluationLoop: @unchecked Sendable {
    /// What an accepted request did.
    struct Summary: Sendable {
        var accepted = 0
        var duplicates = 0
        var notifications = 0
        /// Accepted events whose metric no rule knows (see `+Unmatched`).
        var unmatched = 0
        /// Their counts by metric label (bounded, see `unmatchedLabel`).
        var unmatchedByLabel: [String: Int] = [:]
    }

    enum Rejection: Error {
        /// The queue is full; try again shortly (429).
        case overloaded
        /// The store cannot commit (disk full, read-only, I/O); try again later (503).
        case unavailable(String)

        /// Stable code: the API error code, metric label and log key (`IngestRefusal`).
        var code: String { IngestRefusal(self).rawValue }
    }

    typealias Completion = @Sendable (Result<Summary, Rejection>) -> Void

    let queue = DispatchQueue(label: "herald.evaluate")
    let store: any StateStore
    let committer: GroupCommitter
    let metrics: MetricsRegistry
    let logger: Logger
    private let depthLock = NSLock()
    private var depth = 0
    private var maxDepth: Int
    /// The last failed commit (not `overloaded`), until a commit succeeds. Guarded by `depthLock`.
    private var lastCommitFailure: (code: StoreError.Code, at: Date)?

    // Confined to `queue`.
    var state: EvaluationState
    var evaluator: Evaluator
    var planner: CommitPlanner
    /// Metric names that have their own `herald_events_unmatched_total` label (see `+Unmatched`).
    var unmatchedLabels: Set<String> = []
    /// Silences not yet ended, from the store (refreshed on change and periodically).
    var silences = SilenceSet()
    /// Set when a commit failed: memory is ahead of the store until reloaded from it.
    var needsResync = false
    /// What failed commits had changed in memory (see `+Revisions`).
    let staleRows = StaleRows()
    /// Where this instance stands in the store's feed of rule-state writes (a shared
    /// store; see `pollSharedRuleStates`); nil: from the start.
    var feedCursor: RuleStateCursor?
    /// Wakes the queue when the next escalation timer falls due (see `+Timers`).
    var escalationTimer: DispatchSourceTimer?
    /// When `escalationTimer` is set to fire.
    var escalationTimerDeadline: Date?
    /// Re-reads silences from the store now and then (see `+Timers`).
    var silenceRefreshTimer: DispatchSourceTimer?

    /// Receives the outbox rows of every successful commit that are due now (the
    /// delivery engine); rows held for quiet hours are left to the engine's poll.
    var onCommitted: (@Sendable ([OutboxRecord]) -> Void)?

    /// The base of ack links, shared with the daemon (set once the port is bound).
    let publicURL: PublicURL
    /// Outbox rows per target against `maxBacklog`, shared with the delivery engine.
    let backlog = BacklogLimiter()

    /// - Parameter feedCursor: the store's `ruleStateCursor()` taken before `state` was
    ///   loaded, so the first poll of a shared store starts where the load did.
    init(config: HeraldConfig, ackLinks: AckLinkSigner = .none, publicURL: PublicURL = PublicURL(), state: EvaluationState,
         feedCursor: RuleStateCursor? = nil, store: any StateStore, metrics: MetricsRegistry, logger: Logger) {
        self.feedCursor = feedCursor
        self.publicURL = publicURL
        self.store = store
        self.committer = GroupCommitter(store: store, metrics: metrics, latchFailures: true)
        self.metrics = metrics
        self.logger = logger
        self.state = state
        self.evaluator = Evaluator(config: config)
        self.planner = CommitPlanner(config: config, ackLinks: ackLinks, publicURL: publicURL)
        self.maxDepth = config.server.queueDepth
        metrics.set(DaemonMetrics.queueDepth, to: 0, help: "Events waiting for evaluation or commit.")
    }

    /// Queues events for evaluation; `completion` runs once they are committed or refused.
    func submit(_ events: [MetricEvent], completion: @escaping Completion) {
        let admitted = depthLock.withLock { () -> Bool in
            guard depth + events.count <= maxDepth else { return false }
            depth += events.count
            return true
        }
        guard admitted else { return completion(.failure(.overloaded)) }
        updateDepthGauge()
        queue.async { [self] in evaluateAndCommit(events, completion) }
    }

    /// Evaluates `events` against memory and commits; a commit that conflicts with
    /// another process's writes is evaluated again after the rows are re-read
    /// (`attempt` counts, see `+Revisions`).
    private func evaluateAndCommit(_ events: [MetricEvent], _ completion: @escaping Completion, attempt: Int = 1) {
        dispatchPrecondition(condition: .onQueue(queue))
        if needsResync, let problem = resync() {
            release(events.count)
            return completion(.failure(.unavailable(problem)))
        }
        let now = Date()
        var batch = CommitBatch()
        var reports = NoticeReports()
        var summary = Summary()
        // The states the events left, from their outcomes (the last one per key wins):
        // memory holds them packed, and reading them back would decode each again.
        var changed: [RuleStateKey: RuleState] = [:]
        // One copy for the whole request: reading the `evaluator` property for each event
        // while `state` is passed inout made Swift copy the evaluator (and its config,
        // dozens of references) every time.
        let evaluator = self.evaluator
        for event in events {
            let outcome = evaluator.evaluate(event, state: &state, now: now)
            if outcome.duplicate {
                summary.duplicates += 1
                continue
            }
            summary.accepted += 1
            if outcome.rules.isEmpty, !evaluator.config.knowsMetric(event.metric) { noteUnmatched(event.metric, in: &summary) }
            if let id = event.id { batch.seenEvents.append(SeenEventRecord(eventID: id, seenAt: now)) }
            for rule in outcome.rules {
                if rule.status == .outOfOrder { metrics.increment(DaemonMetrics.eventsOutOfOrder, [("rule", rule.ruleID)]) }
                if let state = rule.state { changed[RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID)] = state }
            }
            summary.notifications += add(outcome.notifications, to: &batch, reports: &reports, now: now)
        }
        batch.ruleStateUpserts = plannedWrites(states: changed)
        noteTimers(of: Set(changed.keys))
        let committed = summary
        commit(batch, now: now, reports: reports) { [self] error in
            if let error, mayRetry(error, attempt: attempt) {
                // Still counted in the depth: the same events go round again, behind the
                // re-read that the failure scheduled.
                return queue.async { [self] in evaluateAndCommit(events, completion, attempt: attempt + 1) }
            }
            release(events.count)
            guard let error else {
                metrics.increment(DaemonMetrics.eventsAccepted, by: Double(committed.accepted))
                metrics.increment(DaemonMetrics.eventsDuplicate, by: Double(committed.duplicates))
                countUnmatched(committed)
                return completion(.success(committed))
            }
            if error.code == .overloaded, committer.latchedFailure == nil { return completion(.failure(.overloaded)) }
            if error.code == .conflict {
                return completion(.failure(.unavailable("other instances kept changing the same rule states (\(attempt) attempts)")))
            }
            completion(.failure(.unavailable("the state store cannot commit (\(error.code.rawValue))")))
        }
    }

    /// Adds the audit and outbox rows of `notifications` to `batch` (silences and quiet
    /// hours applied) and notes them in `reports`, to be counted and logged once the batch
    /// is committed (`publish`); returns how many there were.
    @discardableResult
    func add(_ notifications: [HeraldCore.Notification], to batch: inout CommitBatch, reports: inout NoticeReports,
             now: Date) -> Int {
        dispatchPrecondition(condition: .onQueue(queue))
        for notification in notifications {
            let (audit, outbox) = planner.rows(for: notification, now: now, silences: silences)
            batch.audit.append(audit)
            admit(outbox, into: &batch, now: now)
            let unreachable = audit.suppressed == nil ? ChannelReach.unreachable(notification, config: planner.config) : []
            reports.decided.append((notification, audit.suppressed, unreachable))
        }
        return notifications.count
    }

    /// Counts and logs committed notices. Only after their commit: a commit that
    /// conflicted with another instance is decided again, and its notices must count
    /// once. Any thread (it reads only what `reports` carries).
    func publish(_ reports: NoticeReports) {
        for (notification, suppressed, unreachable) in reports.decided {
            reportUnrouted(notification)
            reportUnreachable(notification, unreachable)
            metrics.increment(DaemonMetrics.notifications, [("rule", notification.ruleID), ("tier", notification.tier.name),
                                                             ("transition", notification.transition.rawValue)])
            if let silence = suppressed {
                metrics.increment(DaemonMetrics.notificationsSuppressed, [("rule", notification.ruleID)],
                                  help: "Notifications recorded but not delivered because a silence matched.")
                logger.info("notification suppressed by a silence", ["notification.id": notification.id, "silence.id": silence])
            }
        }
    }

    /// Hands `batch` to the group committer. On success the rows due now go to delivery
    /// and `done(nil)` runs; on failure memory is marked ahead of the store (the next
    /// piece of work re-reads it) and `done(error)` runs. `done` runs on the committer's
    /// queue (or on this one when the committer refused at once).
    func commit(_ batch: CommitBatch, now: Date, reports: NoticeReports = NoticeReports(),
                _ done: @escaping @Sendable (StoreError?) -> Void) {
        dispatchPrecondition(condition: .onQueue(queue))
        // Row times are rounded to whole milliseconds (`CommitPlanner.rows`), possibly up:
        // compare within that resolution, or a row due now waits for the next poll.
        let due = batch.outbox.filter { $0.nextAttemptAt <= now.addingTimeInterval(CommitPlanner.timeResolution) }
        do {
            try committer.submit(batch) { [self] result in
                switch result {
                case .success:
                    depthLock.withLock { lastCommitFailure = nil }
                    publish(reports)
                    if !due.isEmpty { onCommitted?(due) }
                    done(nil)
                case .failure(let error):
                    releaseBacklog(of: batch)
                    staleRows.note(batch)
                    queue.async { [self] in needsResync = true }
                    if error.code == .conflict {
                        // Not a failure of the store: another instance wrote first. Decided again.
                        metrics.increment(DaemonMetrics.commitConflicts, help: DaemonMetrics.commitConflictsHelp)
                        logger.debug("commit conflicted with another instance's writes; re-reading and deciding again",
                                     ["error": error.message])
                    } else {
                        depthLock.withLock { lastCommitFailure = (error.code, Date()) }
                        logger.error("commit failed, the work is refused and the state re-read from the store",
                                     ["error.code": error.code.rawValue, "error": error.message])
                    }
                    done(error)
                }
            }
        } catch {
            // Not committed: memory moved ahead of the store, so reload it before the next change.
            releaseBacklog(of: batch)
            staleRows.note(batch)
            needsResync = true
            done(error)
        }
    }

    /// Brings memory back to the store's durable state after a failed commit; returns a
    /// problem if the store is still unusable. After a `conflict` only the rows and ids
    /// the failed commits had changed are re-read (`refreshStale`); after any other
    /// failure everything is.
    func resync() -> String? {
        dispatchPrecondition(condition: .onQueue(queue))
        committer.flush()
        do {
            if committer.latchedFailure?.code == .conflict {
                try refreshStale()
            } else {
                _ = staleRows.take()
                let cursor = try store.ruleStateCursor()
                state = try EvaluationLoop.loadState(from: store, config: evaluator.config, now: Date())
                feedCursor = cursor
                settleStoredStates()
                logger.notice("evaluation state reloaded from the store after a failed commit")
            }
            backlog.seed(try store.outboxDepthByTarget())
            needsResync = false
            committer.reset()
            rearmEscalationTimer()
            return nil
        } catch {
            return "the state store cannot be read (\(error.code.rawValue))"
        }
    }

    private func release(_ count: Int) {
        depthLock.withLock { depth -= count }
        updateDepthGauge()
    }

    private func updateDepthGauge() {
        metrics.set(DaemonMetrics.queueDepth, to: Double(depthLock.withLock { depth }))
    }

    /// Events queued or being committed.
    var queuedEvents: Int { depthLock.withLock { depth } }

    /// A copy of the current state, config and silences, for `POST /v1/explain`.
    func snapshot() -> (EvaluationState, HeraldConfig, SilenceSet) {
        queue.sync { (state, evaluator.config, silences) }
    }

    /// How long a failed commit keeps `/readyz` at 503 when nothing commits after it.
    /// A full disk fails the commits (they need new pages) but not the readiness probe
    /// (it rewrites one row in place), so readiness also looks here; the window ends on
    /// its own because, with the instance out of rotation, nothing may come to commit.
    static let commitFailureReadinessSeconds: TimeInterval = 30

    /// Why the instance is not ready to accept events although the store took the probe:
    /// the last commit failed within `commitFailureReadinessSeconds` and none succeeded since.
    func commitProblem(now: Date = Date()) -> String? {
        guard let failure = depthLock.withLock({ lastCommitFailure }),
              now.timeIntervalSince(failure.at) < Self.commitFailureReadinessSeconds else { return nil }
        return "the last event commit failed \(Int(max(0, now.timeIntervalSince(failure.at)).rounded())) s ago (\(failure.code.rawValue))"
    }

    /// Whether the evaluation queue answers within `timeout` (for the watchdog and /readyz).
    func isResponsive(timeout: TimeInterval) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + timeout) == .success
    }

    /// Swaps in a new config between events; drops the state of removed rules.
    func apply(_ config: HeraldConfig, ackLinks: AckLinkSigner, completion: @escaping @Sendable ([RuleStateKey]) -> Void) {
        queue.async { [self] in
            reportRederivations(from: evaluator.config, to: config)
            evaluator = Evaluator(config: config)
            planner = CommitPlanner(config: config, ackLinks: ackLinks, publicURL: publicURL)
            depthLock.withLock { maxDepth = config.server.queueDepth }
            let before = state.rules
            let dropped = state.dropRules(notIn: Set(config.rules.map(\.id)))
            if !dropped.isEmpty {
                commit(CommitBatch(ruleStateDeletes: plannedDeletes(dropped, from: before)), now: Date()) { _ in }
            }
            refreshSilences()
            rearmEscalationTimer()
            completion(dropped)
        }
    }

    /// A directory-only change (SCIM): rules, targets, limits and silences are those in
    /// force, so only the evaluator and the planner take the new config. Cheaper than
    /// `apply`, which an identity provider's thousands of changes in a row would repeat.
    func applyDirectory(_ config: HeraldConfig, ackLinks: AckLinkSigner) {
        queue.async { [self] in
            evaluator = Evaluator(config: config)
            planner = CommitPlanner(config: config, ackLinks: ackLinks, publicURL: publicURL)
        }
    }

    /// Most re-derived states logged one by one per reload; the rest are summed up in one line.
    static let maxRederivationLogLines = 100

    /// Logs and counts the running episodes whose tiers this reload changed: each is
    /// judged from the tier it stood at by its next event (`RuleState.adoptLayout`).
    private func reportRederivations(from old: HeraldConfig, to new: HeraldConfig) {
        let changed = state.rederivations(under: new).filter {
            old.rule(id: $0.key.ruleID)?.tierSignature != new.rule(id: $0.key.ruleID)?.tierSignature
        }
        metrics.increment(DaemonMetrics.reloadRederivedStates, by: Double(changed.count),
                          help: "Running episodes whose tiers a reload changed; each is judged from the tier it stood at by its next event.")
        for item in changed.prefix(Self.maxRederivationLogLines) {
            logger.notice("tiers changed under a running episode; its next event is judged from the tier it stood at",
                          ["rule.id": item.key.ruleID, "subject.id": item.key.subjectID, "tier": item.tier.name,
                           "told": item.toldTiers.joined(separator: ",")])
        }
        if changed.count > Self.maxRederivationLogLines {
            logger.notice("more episodes re-derived, not listed", ["states": changed.count - Self.maxRederivationLogLines])
        }
    }

    /// Waits for queued events to be evaluated and committed (shutdown); stops the timers.
    func drain() {
        queue.sync { stopTimers() }
        committer.flush()
    }
}
