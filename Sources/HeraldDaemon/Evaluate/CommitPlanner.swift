import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore

/// Turns what evaluation produced into the rows of one transaction: rule states that
/// changed, event ids seen, one audit record per notification and one outbox row per
/// planned webhook. Runs on the evaluation queue.
///
/// A notification a silence matches at commit time is recorded in the audit log as
/// suppressed (the silence id in `suppressed`) and gets no outbox rows. People in quiet
/// hours get their own row, due when their hours end (`DeliveryPlanner`); such a row's
/// `createdAt` is that end too, so the target's `maxAge` counts from when the message
/// may first go, not from when it was decided (a 10-hour night would otherwise eat most
/// of a short `maxAge` and dead-letter a message that was never tried).
struct CommitPlanner {
    let config: HeraldConfig
    let ackLinks: AckLinkSigner
    /// The base of the ack links' absolute URLs, read at each commit (known once bound).
    let publicURL: PublicURL
    init(config: HeraldConfig, ackLinks: AckLinkSigner = .none, publicURL: PublicURL = PublicURL()) {
        self.config = config
        self.ackLinks = ackLinks
        self.publicURL = publicURL
    }

    /// The resolution of the rows' times (whole milliseconds, as the store keeps them).
    /// Rounding may move a row's time up to half of it into the future, so "due now"
    /// checks on freshly planned rows allow this much.
    static let timeResolution: TimeInterval = 0.001

    /// Audit and outbox rows for one notification committed at `now`.
    func rows(for notification: HeraldCore.Notification, now exact: Date, silences: SilenceSet = SilenceSet()) -> (AuditRecord, [OutboxRecord]) {
        // Whole milliseconds, as the store keeps times: a body written from the rows in
        // memory (the push after the commit) and one written from the rows read back (a
        // retry) must say the same `notifiedAt` and link expiry.
        let now = Date(timeIntervalSince1970: (exact.timeIntervalSince1970 * 1000).rounded() / 1000)
        let payload = NotificationJSON.data(notification)
        let silence = silences.first(matching: notification, at: now)
        let audit = AuditRecord(notificationID: notification.id, ruleID: notification.ruleID, subjectID: notification.subject.id,
                                transition: notification.transition.rawValue, tier: notification.tier.name,
                                createdAt: now, payload: payload, suppressed: silence?.id)
        guard silence == nil else { return (audit, []) }
        // No body in the row: it is written from the audit payload when sent
        // (`WebhookBody`), so the notice is stored once. The notice travels with the
        // rows in memory for the push right after the commit.
        let notice = StoredNotice(payload: payload, createdAt: now)
        let everyone = notification.recipients.map(\.id)
        let outbox = DeliveryPlanner.plan(notification, config: config, now: now).map { delivery in
            let sendAt = delivery.heldUntil ?? now
            let ids = delivery.recipients.map(\.id)
            return OutboxRecord(deliveryID: CommitPlanner.deliveryID(notification: notification.id, destination: delivery.destination),
                                notificationID: notification.id, target: delivery.destination,
                                recipients: ids == everyone ? nil : ids, createdAt: sendAt, nextAttemptAt: sendAt, notice: notice)
        }
        return (audit, outbox)
    }

    /// The audit record of a manual action (acknowledge, unacknowledge, resolve) naming
    /// who acted: written whenever the action changed the episode, whether or not it
    /// sent notices (an acknowledgement on a rule without `notifyAcknowledged` sends
    /// none, and must still be on record).
    func actionRecord(_ action: EpisodeAction, outcome: EpisodeActionOutcome, episodeID: String, actor: EpisodeActor,
                      now: Date) -> AuditRecord {
        let tier = outcome.state.tier.flatMap { index in config.rule(id: outcome.key.ruleID).flatMap { index < $0.tiers.count ? $0.tiers[index].name : nil } }
        var object: [String: Any] = [
            "action": action.rawValue, "actor": actor.description, "at": NotificationJSON.timestamp(now),
            "episode": ["id": episodeID, "number": outcome.state.episode] as [String: Any],
            "rule": ["id": outcome.key.ruleID], "subject": ["id": outcome.key.subjectID],
            "notifications": outcome.notifications.map(\.id),
        ]
        if let tier { object["tier"] = tier }
        let payload = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        return AuditRecord(notificationID: "\(episodeID)/\(action.rawValue)@\(millis)", ruleID: outcome.key.ruleID,
                           subjectID: outcome.key.subjectID, transition: action.rawValue, tier: tier, createdAt: now, payload: payload)
    }

    /// The row of `state`, based on the revision it carries (the one memory last read or
    /// wrote), with its escalation time copied out for the store's due-timer index.
    func stateRecord(_ key: RuleStateKey, _ state: RuleState) -> RuleStateRecord {
        RuleStateRecord(ruleID: key.ruleID, subjectID: key.subjectID, state: state.storedData(), revision: state.revision,
                        dueAt: state.escalationDueAt)
    }

    /// The webhook id: derived from the notification and destination, so a replayed
    /// evaluation yields the same id and receivers can de-duplicate across retries.
    static func deliveryID(notification: String, destination: String) -> String {
        "msg_" + Digest.sha256Hex(Array("\(notification)\n\(destination)".utf8)).prefix(32)
    }

    /// What replaces an unreadable row: a new state of its rule at the row's revision, so
    /// the next write replaces the row instead of conflicting with it (nil when the config
    /// no longer has the rule).
    static func freshState(for record: RuleStateRecord, config: HeraldConfig) -> RuleState? {
        config.rule(id: record.ruleID).map { rule in
            var state = RuleState(tierSignature: rule.tierSignature)
            state.revision = record.revision
            return state
        }
    }

    /// Most distinct strings `decodeStates` shares (rule ids and tier signatures: one or
    /// two per rule); beyond it strings are kept as read.
    static let maxInternedStrings = 10_000

    /// Decodes persisted rule states, each with its row's revision. An unreadable row is
    /// reported and replaced by `fresh(record)` (a new state of its rule at the row's
    /// revision, so the next write replaces the row instead of conflicting with it) or
    /// left out when that is nil.
    static func decodeStates(_ records: [RuleStateRecord], fresh: (RuleStateRecord) -> RuleState? = { _ in nil },
                             logger: (String) -> Void) -> [RuleStateKey: RuleState] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        // Sized once: growing a 100,000-entry dictionary rehashed it ≈ 17 times (7 % of a
        // restart's CPU). Rule ids and tier signatures repeat in every state of a rule:
        // one shared string each instead of one copy per subject (issue #22, memory).
        var states: [RuleStateKey: RuleState] = [:]
        states.reserveCapacity(records.count)
        var shared: [String: String] = [:]
        func interned(_ text: String) -> String {
            if let known = shared[text] { return known }
            if shared.count < maxInternedStrings { shared[text] = text }
            return text
        }
        for record in records {
            // The core's one-pass reader first (see `RuleState(storedJSON:)`), JSONDecoder
            // for shapes it does not know.
            guard var state = RuleState(storedJSON: record.state) ?? (try? decoder.decode(RuleState.self, from: record.state)) else {
                logger("unreadable rule state for rule '\(record.ruleID)' subject '\(record.subjectID)', starting it afresh")
                if let state = fresh(record) { states[RuleStateKey(ruleID: record.ruleID, subjectID: record.subjectID)] = state }
                continue
            }
            state.tierSignature = interned(state.tierSignature)
            state.revision = record.revision
            states[RuleStateKey(ruleID: interned(record.ruleID), subjectID: record.subjectID)] = state
        }
        return states
    }
}

/// A manual action on an episode, as the API names it and the audit log records it.
enum EpisodeAction: String, Sendable, CaseIterable {
    case acknowledge, unacknowledge, resolve

    /// The last path segment of its route (`/v1/episodes/ack` …).
    var route: String {
        switch self {
        case .acknowledge: "ack"
        case .unacknowledge: "unack"
        case .resolve: "resolve"
        }
    }
}
