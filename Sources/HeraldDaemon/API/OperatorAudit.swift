import Foundation
import HeraldCore
import HeraldStore

/// The audit records of an operator's silence and dead-letter actions: the same log,
/// paging and filters as notifications and episode actions (`GET /v1/notifications`,
/// the UI's audit page). The record's rule and subject are those the action concerns
/// (a silence's matcher, a dead letter's notice; empty when it has none), so filtering
/// the log by rule or subject shows them with the notices they affect.
enum OperatorAudit {
    /// What was done; the record's `transition` and the payload's `action`.
    enum Action: String, CaseIterable {
        case silence
        case expireSilence = "expire-silence"
        case deleteSilence = "delete-silence"
        case retryDeadLetter = "retry-dead-letter"
    }

    /// Every id starts with this and has three segments (`operator/silence/sil-1@<ms>`),
    /// so it is not a notice's id, which has at least four (`<rule>/<subject>/<episode>@<start>/…`).
    static let idPrefix = "operator/"

    /// Most dead-letter pages read to find the notice a re-queued delivery belongs to
    /// (for the record's rule and subject): 20 × `StoreLimits.maxPageSize` rows.
    static let maxDeadLetterPagesScanned = 20

    /// The actor of the command line working on the state directory: `local:<user>`
    /// (the caller of sudo when run through it).
    static func localActor(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        "local:" + (environment["SUDO_USER"] ?? environment["USER"] ?? "uid \(getuid())")
    }

    /// The dead letter `id` and the notice it sends, read before a re-queue takes it out
    /// of the dead letters; nil for either when not found (the scan is bounded).
    static func deadLetter(_ id: String, in store: any StateStore) throws(StoreError) -> (DeadLetterRecord, AuditRecord?)? {
        var cursor: Int64?
        for _ in 0..<maxDeadLetterPagesScanned {
            let page = try store.deadLetters(limit: StoreLimits.maxPageSize, after: cursor)
            if let found = page.items.first(where: { $0.record.deliveryID == id }) {
                return (found.record, try store.auditEntry(notificationID: found.record.notificationID)?.record)
            }
            guard let next = page.next else { return nil }
            cursor = next
        }
        return nil
    }

    static func silence(_ action: Action, _ silence: Silence, createdAt: Date, actor: String, now: Date) -> AuditRecord {
        record(action, object: silence.id, rule: silence.matcher.ruleID, subject: silence.matcher.subjectID, actor: actor, now: now,
               details: ["silence": SilenceJSON.object(silence, createdAt: createdAt, now: now)])
    }

    /// `letter` and `notice` are nil when they could not be found (the record still
    /// names the delivery id).
    static func retry(deliveryID: String, letter: DeadLetterRecord?, notice: AuditRecord?, actor: String, now: Date) -> AuditRecord {
        var deadLetter: [String: Any] = ["deliveryId": deliveryID]
        if let letter {
            deadLetter["notificationId"] = letter.notificationID
            deadLetter["destination"] = letter.target
        }
        return record(.retryDeadLetter, object: deliveryID, rule: notice?.ruleID, subject: notice?.subjectID, actor: actor, now: now,
                      details: ["deadLetter": deadLetter])
    }

    private static func record(_ action: Action, object: String, rule: String?, subject: String?, actor: String, now: Date,
                               details: [String: Any]) -> AuditRecord {
        var payload: [String: Any] = ["action": action.rawValue, "actor": actor, "at": NotificationJSON.timestamp(now)]
        payload.merge(details) { a, _ in a }
        if let rule { payload["rule"] = ["id": rule] }
        if let subject { payload["subject"] = ["id": subject] }
        let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded())
        return AuditRecord(notificationID: "\(idPrefix)\(action.rawValue)/\(object)@\(millis)", ruleID: rule ?? "", subjectID: subject ?? "",
                           transition: action.rawValue, tier: nil, createdAt: now, payload: data)
    }
}
