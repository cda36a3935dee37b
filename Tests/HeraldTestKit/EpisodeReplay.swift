public import Foundation
public import HeraldCore

/// The chaos test's oracle: what ONE Herald, taking one subject's accepted events one at a
/// time, would have written — computed by HeraldCore's `Evaluator`, with no store, no
/// threads and no other instance. Several instances on one database must leave exactly
/// that in the audit log and the rule-state rows (issue #20: "tells nobody twice per
/// transition", every sequence gap-free).
///
/// **What decides the order.** Events and actions (acknowledge, resolve by hand): the
/// order the client had them answered (per subject strictly sequential, the next sent
/// only after a 2xx). Timers have no input; the audit log (commit order) says where they
/// happened, so the replay walks the store's notices and, at each:
/// - `value` or `manual` notice: runs the client's inputs up to and including its cause
///   (an action at its notice's time);
/// - `timeout` notice: runs `Evaluator.tick` at the notice's time;
/// then runs the inputs left. The notices this produces must equal the store's.
/// Guided by the store, the replay still catches a step fired twice (the second tick
/// finds nothing due), too early (not due yet), after an ack (the ack stopped it), a
/// notice number repeated or skipped, an event evaluated twice or on a stale state.
///
/// **Why this order is exact.** A timer's place among silent events is not recorded, and
/// need not be: with a config where every tier change notifies (`notifyDeescalated`,
/// `notifyResolved`) and no episode climbs back to a tier it already told, a silent event
/// only moves `lastEvent`/`lastEventAt`, which no timer depends on. The chaos test's
/// client keeps to that shape.
public struct EpisodeReplay: Sendable {
    /// Times in the store are milliseconds; a replayed tick runs half a millisecond after
    /// the stored time, so a timer stored as due in the same millisecond it fired is due.
    public static let timeSlack: TimeInterval = 0.000_5

    public let evaluator: Evaluator

    public init(config: HeraldConfig) { evaluator = Evaluator(config: config) }

    /// What the replay made of one subject.
    public struct Outcome: Sendable {
        /// The notices, in order.
        public var notices: [AuditNotice] = []
        /// The final state of each (rule, subject).
        public var state = EvaluationState()
        /// Notices per accepted event id (0 for an event that told nobody).
        public var noticesPerEvent: [String: Int] = [:]
        /// Rule-state writes per key: one per event that moved the state, fired timer or
        /// successful action (a store may merge several into one commit).
        public var writes: [RuleStateKey: Int] = [:]
        /// Store notices the replay could not place (an event or action no client was
        /// answered for, an action the evaluator refuses).
        public var problems: [String] = []
    }

    /// What one subject's client did, in its order: an event answered 2xx (duplicates
    /// included), or an action on an episode answered 200 (acknowledge, resolve by hand).
    public enum Input: Sendable {
        case event(MetricEvent)
        /// `transition` is the notice the action makes (`acknowledged`, `resolved`);
        /// `actor` a user id or `operator:<token>`.
        case action(transition: String, episodeID: String, actor: String)
    }

    /// Replays `inputs` (one subject's, in client order) guided by `audit` (that
    /// subject's notices in commit order), then ticks once at `end`: every timer due by
    /// then must have fired in the store already.
    ///
    /// Events and actions keep the client's order (it waited for each answer before the
    /// next): an action runs after the events before it, silent ones included — a resolve
    /// by hand makes the next event at a tier a new episode's first. Only timers take
    /// their place from the audit. An action runs at the time of its notice in the store;
    /// one without a notice there is left out (refused, or it changed nothing).
    public func replay(inputs: [Input], audit: [AuditNotice], end: Date) -> Outcome {
        var outcome = Outcome()
        var next = 0
        func run(through index: Int) {
            while next <= index {
                switch inputs[next] {
                case .event(let event): evaluate(event, &outcome)
                case .action(let transition, let episode, let actor):
                    if let notice = audit.first(where: { $0.reason == "manual" && $0.transition == transition && $0.episodeID == episode && $0.actor == actor }) {
                        act(notice, &outcome)
                    }
                }
                next += 1
            }
        }
        for notice in audit {
            switch notice.reason {
            case NotificationReason.value.rawValue:
                guard let index = inputs.firstIndex(where: { if case .event(let e) = $0 { e.id == notice.eventID } else { false } }) else {
                    outcome.problems.append("\(notice): its event '\(notice.eventID ?? "-")' was never answered 2xx")
                    continue
                }
                run(through: index)
            case NotificationReason.timeout.rawValue:
                tick(at: notice.occurredAt.addingTimeInterval(Self.timeSlack), &outcome)
            default:
                let index = inputs.firstIndex {
                    if case .action(let transition, let episode, let actor) = $0 {
                        transition == notice.transition && episode == notice.episodeID && actor == notice.actor
                    } else { false }
                }
                guard let index else {
                    outcome.problems.append("\(notice): an action no client was answered 200 for")
                    continue
                }
                run(through: index)
            }
        }
        run(through: inputs.count - 1)
        tick(at: end, &outcome)
        return outcome
    }

    private func evaluate(_ event: MetricEvent, _ outcome: inout Outcome) {
        let result = evaluator.evaluate(event, state: &outcome.state, now: event.timestamp ?? Date.distantPast)
        let made = result.notifications.map(AuditNotice.init)
        outcome.notices += made
        if let id = event.id, !result.duplicate { outcome.noticesPerEvent[id, default: 0] += made.count }
        for rule in result.rules where rule.status != .outOfOrder && rule.state != nil {
            outcome.writes[RuleStateKey(ruleID: rule.ruleID, subjectID: rule.subjectID), default: 0] += 1
        }
    }

    private func tick(at now: Date, _ outcome: inout Outcome) {
        let result = evaluator.tick(state: &outcome.state, now: now)
        outcome.notices += result.notifications.map(AuditNotice.init)
        for key in result.changed { outcome.writes[key, default: 0] += 1 }
    }

    /// The acknowledge or resolve a manual notice records, by its actor at its time.
    private func act(_ notice: AuditNotice, _ outcome: inout Outcome) {
        let actor: EpisodeActor = notice.actor.map { $0.hasPrefix("operator:") ? .operator(String($0.dropFirst(9))) : .user($0) }
            ?? .operator("unknown")
        let now = notice.occurredAt
        let result: Result<EpisodeActionOutcome, AckError>
        switch notice.transition {
        case Transition.acknowledged.rawValue: result = evaluator.acknowledge(episodeID: notice.episodeID, by: actor, state: &outcome.state, now: now)
        case Transition.resolved.rawValue: result = evaluator.resolve(episodeID: notice.episodeID, by: actor, state: &outcome.state, now: now)
        default:
            outcome.problems.append("\(notice): a manual notice the replay knows no action for")
            return
        }
        switch result {
        case .success(let action):
            outcome.notices += action.notifications.map(AuditNotice.init)
            outcome.writes[action.key, default: 0] += 1
        case .failure(let error):
            outcome.problems.append("\(notice): the replay's evaluator refuses it: \(error.message)")
        }
    }
}

extension RuleState {
    /// The differences that matter between two states of one (rule, subject); empty when
    /// equal. Times compare to within a millisecond: the store keeps milliseconds, and a
    /// timer's or an ack's time reaches the replay through a notice's rounded time.
    public func differences(from other: RuleState) -> [String] {
        func ms(_ date: Date?) -> Int64? { date.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } }
        func time(_ name: String, _ a: Date?, _ b: Date?) -> String? {
            switch (ms(a), ms(b)) {
            case (nil, nil): nil
            case (let x?, let y?) where abs(x - y) <= 1: nil
            default: "\(name): \(ms(a).map(String.init) ?? "nil") ms != \(ms(b).map(String.init) ?? "nil") ms"
            }
        }
        func value<T: Equatable>(_ name: String, _ a: T, _ b: T) -> String? { a == b ? nil : "\(name): \(a) != \(b)" }
        let found: [String?] = [
            value("tier", tier, other.tier), value("episode", episode, other.episode),
            time("episodeStartedAt", episodeStartedAt, other.episodeStartedAt), value("notices", notices, other.notices),
            time("lastEventAt", lastEventAt, other.lastEventAt), time("lastNoticeAt", lastNoticeAt, other.lastNoticeAt),
            value("notifiedTiers", notifiedTiers, other.notifiedTiers), value("told", told, other.told),
            value("acknowledgedBy", acknowledgedBy, other.acknowledgedBy), time("acknowledgedAt", acknowledgedAt, other.acknowledgedAt),
            time("tierEnteredAt", tierEnteredAt, other.tierEnteredAt), value("escalationStep", escalationStep, other.escalationStep),
            time("escalationDueAt", escalationDueAt, other.escalationDueAt), value("lastEvent.id", lastEvent?.id, other.lastEvent?.id),
        ]
        return found.compactMap { $0 }
    }
}
