import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// Evaluate and commit: events from HTTP threads are evaluated in order on one serial
/// queue, their effects committed by the group committer, and the caller told only
/// after the commit (202 means durable).
///
/// The queue is bounded: events waiting for evaluation or commit are counted, and past
/// `maxDepth` a request is refused (429) instead of growing memory.
final class IngestPipeline: @unchecked Sendable {
    /// What an accepted request did.
    struct Summary: Sendable {
        var accepted = 0
        var duplicates = 0
        var notifications = 0
    }

    enum Rejection: Error {
        /// The queue is full; try again shortly (429).
        case overloaded
        /// The store cannot commit (disk full, read-only, I/O); try again later (503).
        case unavailable(String)
    }

    typealias Completion = @Sendable (Result<Summary, Rejection>) -> Void

    private let queue = DispatchQueue(label: "herald.evaluate")
    private let store: Store
    private let committer: GroupCommitter
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let depthLock = NSLock()
    private var depth = 0
    private var maxDepth: Int

    // Confined to `queue`.
    private var state: EvaluationState
    private var evaluator: Evaluator
    private var planner: CommitPlanner
    /// Set when a commit failed: memory is ahead of the store until reloaded from it.
    private var needsResync = false

    /// Receives the outbox rows of every successful commit (the delivery engine).
    var onCommitted: (@Sendable ([OutboxRecord]) -> Void)?

    init(config: HeraldConfig, state: EvaluationState, store: Store, metrics: MetricsRegistry, logger: Logger) {
        self.store = store
        self.committer = GroupCommitter(store: store, metrics: metrics, latchFailures: true)
        self.metrics = metrics
        self.logger = logger
        self.state = state
        self.evaluator = Evaluator(config: config)
        self.planner = CommitPlanner(config: config)
        self.maxDepth = config.server.queueDepth
        metrics.set("herald_queue_depth", to: 0, help: "Events waiting for evaluation or commit.")
    }

    /// Loads rule states and recent event ids from the store.
    static func loadState(from store: Store, config: HeraldConfig, now: Date, logger: Logger) throws(StoreError) -> EvaluationState {
        let rules = CommitPlanner.decodeStates(try store.loadRuleStates()) { logger.warning($0) }
        let since = now.addingTimeInterval(-config.server.idempotencyWindow.seconds)
        let seen = try store.loadSeenEvents(since: since)
        return EvaluationState(rules: rules, seenEvents: Dictionary(seen.map { ($0.eventID, $0.seenAt) }, uniquingKeysWith: { a, _ in a }))
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

    private func evaluateAndCommit(_ events: [MetricEvent], _ completion: @escaping Completion) {
        dispatchPrecondition(condition: .onQueue(queue))
        if needsResync, let problem = resync() {
            release(events.count)
            return completion(.failure(.unavailable(problem)))
        }
        let now = Date()
        var batch = CommitBatch()
        var summary = Summary()
        var changed: Set<HeraldCore.RuleStateKey> = []
        for event in events {
            let outcome = evaluator.evaluate(event, state: &state, now: now)
            if outcome.duplicate {
                summary.duplicates += 1
                continue
            }
            summary.accepted += 1
            if let id = event.id { batch.seenEvents.append(SeenEventRecord(eventID: id, seenAt: now)) }
            for rule in outcome.rules {
                if rule.status == .outOfOrder { metrics.increment("herald_events_out_of_order_total", [("rule", rule.ruleID)]) }
                if rule.state != nil { changed.insert(HeraldCore.RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID)) }
            }
            for notification in outcome.notifications {
                let (audit, outbox) = planner.rows(for: notification, now: now)
                batch.audit.append(audit)
                batch.outbox += outbox
                summary.notifications += 1
                metrics.increment("herald_notifications_total", [("rule", notification.ruleID), ("tier", notification.tier.name),
                                                                 ("transition", notification.transition.rawValue)])
            }
        }
        batch.ruleStateUpserts = changed.compactMap { key in state.rules[key].flatMap { planner.stateRecord(key, $0) } }
        let (committed, outbox) = (summary, batch.outbox)
        do {
            try committer.submit(batch) { [self] result in
                release(events.count)
                switch result {
                case .success:
                    metrics.increment("herald_events_accepted_total", by: Double(committed.accepted))
                    metrics.increment("herald_events_duplicate_total", by: Double(committed.duplicates))
                    if !outbox.isEmpty { onCommitted?(outbox) }
                    completion(.success(committed))
                case .failure(let error):
                    queue.async { [self] in needsResync = true }
                    logger.error("commit failed, events refused with 503", ["error.code": error.code.rawValue, "error": error.message])
                    completion(.failure(.unavailable("the state store cannot commit (\(error.code.rawValue))")))
                }
            }
        } catch {
            // Not committed: memory moved ahead of the store, so reload it before the next event.
            needsResync = true
            release(events.count)
            completion(.failure(error.code == .overloaded ? .overloaded : .unavailable("the state store cannot commit (\(error.code.rawValue))")))
        }
    }

    /// Replaces memory with the store's durable state after a failed commit; returns a
    /// problem if the store is still unusable.
    private func resync() -> String? {
        committer.flush()
        do {
            state = try IngestPipeline.loadState(from: store, config: evaluator.config, now: Date(), logger: logger)
            needsResync = false
            committer.reset()
            logger.notice("evaluation state reloaded from the store after a failed commit")
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
        metrics.set("herald_queue_depth", to: Double(depthLock.withLock { depth }))
    }

    /// Events queued or being committed.
    var queuedEvents: Int { depthLock.withLock { depth } }

    /// A copy of the current state and evaluator, for `POST /v1/explain`.
    func snapshot() -> (EvaluationState, HeraldConfig) {
        queue.sync { (state, evaluator.config) }
    }

    /// Whether the evaluation queue answers within `timeout` (for the watchdog and /readyz).
    func isResponsive(timeout: TimeInterval) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + timeout) == .success
    }

    /// Swaps in a new config between events; drops the state of removed rules.
    func apply(_ config: HeraldConfig, completion: @escaping @Sendable ([HeraldCore.RuleStateKey]) -> Void) {
        queue.async { [self] in
            evaluator = Evaluator(config: config)
            planner = CommitPlanner(config: config)
            depthLock.withLock { maxDepth = config.server.queueDepth }
            let dropped = state.dropRules(notIn: Set(config.rules.map(\.id)))
            if !dropped.isEmpty {
                let deletes = dropped.map { HeraldStore.RuleStateKey(ruleID: $0.ruleID, subjectID: $0.subjectID) }
                try? committer.submit(CommitBatch(ruleStateDeletes: deletes)) { _ in }
            }
            completion(dropped)
        }
    }

    /// Forgets event ids older than the idempotency window, in memory and in the store.
    func pruneSeenEvents() {
        queue.async { [self] in
            let cutoff = Date().addingTimeInterval(-evaluator.config.server.idempotencyWindow.seconds)
            state.pruneSeenEvents(before: cutoff)
            _ = try? store.pruneSeenEvents(before: cutoff)
        }
    }

    /// Waits for queued events to be evaluated and committed (shutdown).
    func drain() {
        queue.sync {}
        committer.flush()
    }
}
