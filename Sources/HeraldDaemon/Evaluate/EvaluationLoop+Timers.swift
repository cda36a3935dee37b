import Foundation
import HeraldCore
import HeraldStore

/// Time-driven work on the evaluation queue: escalation timers and the silence refresh.
///
/// The escalation timer sleeps until the earliest `escalationDueAt` of any rule state
/// (re-armed after every change), then runs `Evaluator.tick` and commits the states it
/// changed together with the timeout notices, through the same committer as events.
/// A restart finds the timer in the stored state: a step that fell due while Herald was
/// down fires once at start; a step whose commit succeeded is never fired again (its
/// state row moved on in the same transaction as its notice).
extension EvaluationLoop {
    /// Shortest sleep between ticks: bounds the work a burst of due timers (or a store
    /// that keeps failing) can cause to ten ticks a second.
    static let minimumTimerSleep: TimeInterval = 0.1
    /// Longest sleep: the queue looks at the clock at least once a minute even with no
    /// timer due, so a wall-clock jump or a missed re-arm costs at most a minute.
    static let maximumTimerSleep: TimeInterval = 60
    /// Sleep after the store refused a tick's commit: long enough not to spin on a full
    /// disk, short against any escalation step.
    static let failedTickRetry: TimeInterval = 5
    /// How often silences are re-read from the store, to pick up `herald silences`
    /// run against the state directory while the daemon runs (API changes apply at once).
    static let silenceRefreshInterval: DispatchTimeInterval = .seconds(10)
    /// How often an instance sharing the store with others re-reads the silences, follows
    /// the others' rule-state writes and looks for escalation timers due within the next
    /// interval that any instance armed (one timer does all three): a silence set through
    /// any instance holds on all, and a timer whose instance died fires, about this late
    /// at most (the rows' revisions make it fire once); lists and explanations lag as much.
    static let sharedPollSeconds = 1
    /// Most pages of the write feed one poll reads (`StoreLimits.maxRuleStatesPerRead`
    /// rows each): bounds one poll's time on the queue; the rest waits for the next.
    static let maxFeedPagesPerPoll = 10

    /// Loads the silences, ticks once (timers that fell due while Herald was down fire
    /// now) and starts the timers. Called once the delivery engine runs.
    func startTimers() {
        queue.async { [self] in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.schedule(deadline: .distantFuture)
            timer.resume()
            escalationTimer = timer
            let refresh = DispatchSource.makeTimerSource(queue: queue)
            let interval = store.isShared ? .seconds(Self.sharedPollSeconds) : Self.silenceRefreshInterval
            refresh.schedule(deadline: .now() + interval, repeating: interval)
            refresh.setEventHandler { [weak self] in
                guard let self else { return }
                refreshSilences()
                if store.isShared { pollSharedRuleStates() }
            }
            refresh.resume()
            silenceRefreshTimer = refresh
            refreshSilences()
            if store.isShared { pollSharedRuleStates() }
            tick()
            settleStoredStates()
        }
    }

    func stopTimers() {
        dispatchPrecondition(condition: .onQueue(queue))
        escalationTimer?.cancel()
        escalationTimer = nil
        silenceRefreshTimer?.cancel()
        silenceRefreshTimer = nil
    }

    /// Sets the timer to the earliest pending escalation (bounded to
    /// `minimumTimerSleep...maximumTimerSleep` from now). Scans every state: used after
    /// ticks, actions, reloads and resyncs, not per event.
    func rearmEscalationTimer(now: Date = Date()) {
        dispatchPrecondition(condition: .onQueue(queue))
        arm(at: state.nextEscalationDue, now: now)
    }

    /// After events: only the states they changed can have an earlier timer than the one
    /// set, so only those are looked at (a timer they cleared makes one idle tick).
    func noteTimers(of keys: Set<RuleStateKey>, now: Date = Date()) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let earliest = keys.compactMap({ state.rules.escalationDue(of: $0) }).min() else { return }
        if let deadline = escalationTimerDeadline, deadline <= earliest { return }
        arm(at: earliest, now: now)
    }

    private func arm(at due: Date?, now: Date, minimum: TimeInterval = EvaluationLoop.minimumTimerSleep) {
        guard let timer = escalationTimer else { return }
        let wanted = due.map { $0.timeIntervalSince(now) } ?? Self.maximumTimerSleep
        let sleep = min(max(wanted, minimum), Self.maximumTimerSleep)
        escalationTimerDeadline = now.addingTimeInterval(sleep)
        timer.schedule(deadline: .now() + sleep, leeway: .milliseconds(10))
    }

    /// Fires every due escalation step and commits what it changed.
    func tick() {
        dispatchPrecondition(condition: .onQueue(queue))
        let now = Date()
        if needsResync, resync() != nil { return arm(at: nil, now: now, minimum: Self.failedTickRetry) }
        let outcome = evaluator.tick(state: &state, now: now)
        rearmEscalationTimer(now: now)
        guard !outcome.changed.isEmpty else { return }
        var batch = CommitBatch()
        batch.ruleStateUpserts = plannedWrites(outcome.changed)
        var reports = NoticeReports()
        add(outcome.notifications, to: &batch, reports: &reports, now: now)
        commit(batch, now: now, reports: reports) { [self] error in
            guard let error else {
                for notification in outcome.notifications {
                    logger.info("escalation timer fired", ["notification.id": notification.id, "rule.id": notification.ruleID,
                                                           "step": notification.escalationStep ?? 0,
                                                           "recipients": notification.recipients.count])
                }
                return
            }
            // The state is re-read from the store at the next tick, which fires the step
            // again if it is still due: at once after a conflict (another instance moved
            // the row: it may have fired the step, or an ack stopped it), later after a
            // failure of the store.
            let retry = error.code == .conflict ? Self.minimumTimerSleep : Self.failedTickRetry
            queue.async { [self] in arm(at: nil, now: Date(), minimum: retry) }
        }
    }

    /// Takes into memory what other instances wrote since the last poll (the store's
    /// feed of rule-state writes) and the rows, written by any instance, whose escalation
    /// falls due within the next poll, and sets the timer for them. The feed alone keeps
    /// memory complete; the due rows (one indexed read) are there for when it lags behind
    /// a burst of writes (`maxFeedPagesPerPoll` pages a poll), so no timer waits on it. Firing commits
    /// against the row's revision, so when several instances hold the same due row one
    /// fires it and the others conflict, re-read it and find the step done (or stopped
    /// by an ack).
    func pollSharedRuleStates(now: Date = Date()) {
        dispatchPrecondition(condition: .onQueue(queue))
        do {
            var cursor = feedCursor ?? .start
            for _ in 0..<Self.maxFeedPagesPerPoll {
                let page = try store.ruleStateChanges(after: cursor, limit: StoreLimits.maxRuleStatesPerRead)
                merge(page.rows)
                let moved = page.next != cursor
                cursor = page.next
                if page.rows.count < StoreLimits.maxRuleStatesPerRead || !moved { break }
            }
            feedCursor = cursor
            merge(try store.dueRuleStates(before: now.addingTimeInterval(TimeInterval(Self.sharedPollSeconds)),
                                          limit: StoreLimits.maxRuleStatesPerRead))
            rearmEscalationTimer(now: now)
        } catch {
            logger.warning("cannot read the other instances' rule states, trying again at the next poll",
                           ["error.code": error.code.rawValue])
        }
    }

    /// Re-reads the silences not yet ended from the store; keeps the old set (and says
    /// so) when the store cannot answer.
    func refreshSilences() {
        dispatchPrecondition(condition: .onQueue(queue))
        do {
            let records = try store.silences(endingAfter: Date())
            silences = SilenceSet(records.compactMap { record in
                let silence = SilenceJSON.silence(record)
                if silence == nil { logger.warning("unreadable silence in the store, ignoring it", ["silence.id": record.id]) }
                return silence
            })
        } catch {
            logger.warning("cannot read silences, keeping the previous set", ["error.code": error.code.rawValue])
        }
    }

    /// Re-reads silences now (after the API changed one), returning once applied.
    func reloadSilences() {
        queue.sync { refreshSilences() }
    }
}
