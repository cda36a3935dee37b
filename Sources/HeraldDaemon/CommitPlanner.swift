import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore

/// Turns what evaluation produced into the rows of one transaction: rule states that
/// changed, event ids seen, one audit record per notification and one outbox row per
/// planned webhook. Runs on the evaluation queue.
struct CommitPlanner {
    let config: HeraldConfig
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    init(config: HeraldConfig) { self.config = config }

    /// Audit and outbox rows for one notification committed at `now`.
    func rows(for notification: HeraldCore.Notification, now: Date) -> (AuditRecord, [OutboxRecord]) {
        let payload = NotificationJSON.data(notification)
        let audit = AuditRecord(notificationID: notification.id, ruleID: notification.ruleID, subjectID: notification.subject.id,
                                transition: notification.transition.rawValue, tier: notification.tier.name,
                                createdAt: now, payload: payload)
        let outbox = DeliveryPlanner.plan(notification, config: config).map { delivery in
            OutboxRecord(deliveryID: CommitPlanner.deliveryID(notification: notification.id, destination: delivery.destination),
                         notificationID: notification.id, target: delivery.destination,
                         body: WebhookPayload.body(notification, delivery: delivery, config: config, notifiedAt: now),
                         createdAt: now, nextAttemptAt: now)
        }
        return (audit, outbox)
    }

    func stateRecord(_ key: HeraldCore.RuleStateKey, _ state: RuleState) -> RuleStateRecord? {
        guard let data = try? encoder.encode(state) else { return nil }
        return RuleStateRecord(ruleID: key.ruleID, subjectID: key.subjectID, state: data)
    }

    /// The webhook id: derived from the notification and destination, so a replayed
    /// evaluation yields the same id and receivers can de-duplicate across retries.
    static func deliveryID(notification: String, destination: String) -> String {
        "msg_" + Digest.sha256Hex(Array("\(notification)\n\(destination)".utf8)).prefix(32)
    }

    /// Decodes persisted rule states (skipping unreadable rows, which are reported).
    static func decodeStates(_ records: [RuleStateRecord], logger: (String) -> Void) -> [HeraldCore.RuleStateKey: RuleState] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        var states: [HeraldCore.RuleStateKey: RuleState] = [:]
        for record in records {
            guard let state = try? decoder.decode(RuleState.self, from: record.state) else {
                logger("unreadable rule state for rule '\(record.ruleID)' subject '\(record.subjectID)', starting it afresh")
                continue
            }
            states[HeraldCore.RuleStateKey(ruleID: record.ruleID, subjectID: record.subjectID)] = state
        }
        return states
    }
}
