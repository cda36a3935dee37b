public import Foundation

// Plain record types the store reads and writes. They know nothing of HeraldCore: the
// daemon maps core values to them, so the schema and the core can change apart.
// Every `Date` is stored as integer milliseconds since 1970 (see `StoreTime`).

/// Converts between `Date` and the integer milliseconds since 1970 stored in every
/// `*_ms` column. Integers sort and compare exactly in SQL; milliseconds are finer than
/// any Herald timing (retry backoff, audit order) needs.
enum StoreTime {
    static func milliseconds(_ date: Date) -> Int64 {
        // Nearest, not floor: a Date made from whole milliseconds must round-trip exactly.
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(fromMilliseconds milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

/// The evaluator's state for one (rule, subject) pair; the blob is JSON owned by the core.
///
/// `revision` makes the row the authority when several processes share one store
/// (issue #20): read, it is the stored revision (1 for a new row, +1 on every write: a
/// gap-free sequence per row); in a commit, it is the revision the writer based its
/// change on (0: it found no row). The store refuses the commit (`conflict`) unless that
/// is still the stored one, and stores `revision + 1`.
public struct RuleStateRecord: Sendable, Equatable {
    public var ruleID: String
    public var subjectID: String
    public var state: Data
    public var revision: Int64
    /// When the state's next escalation step falls due (nil: no timer). Copied out of
    /// the blob so every process sharing the store can find due timers with one query.
    public var dueAt: Date?

    public init(ruleID: String, subjectID: String, state: Data, revision: Int64 = 0, dueAt: Date? = nil) {
        self.ruleID = ruleID
        self.subjectID = subjectID
        self.state = state
        self.revision = revision
        self.dueAt = dueAt
    }

    public var key: RuleStateRowKey { RuleStateRowKey(ruleID: ruleID, subjectID: subjectID) }
}

/// A position in the feed of rule-state writes (`StateStore.ruleStateChanges`): the
/// writing transaction's number, then the key, so a page ends between two rows of one
/// transaction and the next starts after it; and the transactions below the position
/// that were still running when it was reached, whose rows are read once they finish.
public struct RuleStateCursor: Sendable, Equatable {
    public var transaction: Int64
    public var ruleID: String
    public var subjectID: String
    public var pending: [Int64]
    /// When the reader last read the feed (the store's clock, milliseconds; 0: never):
    /// a store that prunes its feed knows from it whether the reader may have missed
    /// writes (then it yields every row once).
    public var readAt: Int64

    public init(transaction: Int64, ruleID: String = "", subjectID: String = "", pending: [Int64] = [], readAt: Int64 = 0) {
        self.transaction = transaction
        self.ruleID = ruleID
        self.subjectID = subjectID
        self.pending = pending
        self.readAt = readAt
    }

    /// Before every write.
    public static let start = RuleStateCursor(transaction: 0)
}

/// One page of the feed of rule-state writes.
public struct RuleStateChanges: Sendable, Equatable {
    public var rows: [RuleStateRecord]
    public var next: RuleStateCursor

    public init(rows: [RuleStateRecord], next: RuleStateCursor) {
        self.rows = rows
        self.next = next
    }
}

/// A rule state row to delete, with the revision the writer saw (see `RuleStateRecord`):
/// the delete is refused (`conflict`) when another process wrote the row since.
public struct RuleStateDeletion: Sendable, Hashable {
    public var ruleID: String
    public var subjectID: String
    public var revision: Int64

    public init(ruleID: String, subjectID: String, revision: Int64) {
        self.ruleID = ruleID
        self.subjectID = subjectID
        self.revision = revision
    }

    public var key: RuleStateRowKey { RuleStateRowKey(ruleID: ruleID, subjectID: subjectID) }
}

/// Identifies one rule state row, e.g. to delete it when the state returns to normal.
/// The store's own key, apart from the core's `RuleStateKey` (same fields) so the
/// schema and the core can change apart; the daemon maps one to the other.
public struct RuleStateRowKey: Sendable, Hashable {
    public var ruleID: String
    public var subjectID: String

    public init(ruleID: String, subjectID: String) {
        self.ruleID = ruleID
        self.subjectID = subjectID
    }
}

/// An event id already accepted, kept so a client's retry is recognised (idempotency).
public struct SeenEventRecord: Sendable, Equatable {
    public var eventID: String
    public var seenAt: Date

    public init(eventID: String, seenAt: Date) {
        self.eventID = eventID
        self.seenAt = seenAt
    }
}

/// One notification as it was decided, for the audit log. `notificationID` is unique:
/// writing the same notification again (a replay) is ignored.
public struct AuditRecord: Sendable, Equatable {
    public var notificationID: String
    public var ruleID: String
    public var subjectID: String
    /// The tier transition, e.g. `"raised"`, `"escalated"`, `"resolved"` (the core's words).
    public var transition: String
    public var tier: String?
    public var createdAt: Date
    /// JSON describing the notification (recipients with their paths, event, …).
    public var payload: Data
    /// Why it was not delivered, e.g. a silence id; nil when it was sent.
    public var suppressed: String?

    public init(notificationID: String, ruleID: String, subjectID: String, transition: String,
                tier: String?, createdAt: Date, payload: Data, suppressed: String? = nil) {
        self.notificationID = notificationID
        self.ruleID = ruleID
        self.subjectID = subjectID
        self.transition = transition
        self.tier = tier
        self.createdAt = createdAt
        self.payload = payload
        self.suppressed = suppressed
    }
}

/// One webhook delivery waiting to be (re)sent. `deliveryID` is stable across retries and
/// becomes the `webhook-id` header so receivers can de-duplicate.
///
/// The body is written at send time from the notice the audit log keeps
/// (`WebhookBody`), so a row stores only which delivery it is: its destination and,
/// when it tells fewer than all of the notice's recipients, their ids. A row may still
/// carry a finished `body` (rows written before schema 5, or by callers that render
/// their own); then that body is sent as it is.
public struct OutboxRecord: Sendable, Equatable {
    public var deliveryID: String
    public var notificationID: String
    /// The target's name in the config (not its URL, which may change on reload).
    public var target: String
    /// The finished body, when the row carries one; nil: write it from `notice`.
    public var body: Data?
    /// The ids of the people this delivery tells, in order; nil for all of the notice's.
    public var recipients: [String]?
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    /// The notice (audit record) this delivery belongs to, as read with the row; not
    /// written by `commit` (the audit record is). Nil when the row has a body, or when
    /// the notice is gone.
    public var notice: StoredNotice?

    public init(deliveryID: String, notificationID: String, target: String, body: Data? = nil,
                recipients: [String]? = nil, createdAt: Date, nextAttemptAt: Date, attempts: Int = 0,
                lastStatus: Int? = nil, lastError: String? = nil, notice: StoredNotice? = nil) {
        self.deliveryID = deliveryID
        self.notificationID = notificationID
        self.target = target
        self.body = body
        self.recipients = recipients
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.notice = notice
    }
}

/// A notice as the audit log keeps it, read together with the deliveries that send it.
public struct StoredNotice: Sendable, Equatable {
    /// The audit payload (the core's notification document).
    public var payload: Data
    /// When the notice was committed (the webhook's `notifiedAt`).
    public var createdAt: Date

    public init(payload: Data, createdAt: Date) {
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// A delivery the target accepted, for `StateStore.markDelivered(_:)`.
public struct DeliveredRecord: Sendable, Equatable {
    public let deliveryID: String
    /// The target's HTTP status, kept in the delivery history.
    public let status: Int?
    public let at: Date

    public init(deliveryID: String, status: Int?, at: Date) {
        self.deliveryID = deliveryID
        self.status = status
        self.at = at
    }
}

/// A delivery that exhausted its retries (or was refused for good), kept for operators
/// to inspect and requeue.
public struct DeadLetterRecord: Sendable, Equatable {
    public var deliveryID: String
    public var notificationID: String
    public var target: String
    /// As in `OutboxRecord`: the finished body, or nil to write it from `notice`.
    public var body: Data?
    public var recipients: [String]?
    public var createdAt: Date
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String
    /// The first bytes of the target's last response (at most `SharedLimits.responseExcerptBytes`).
    public var responseExcerpt: Data?
    public var deadAt: Date
    /// The notice it belongs to, as read with the row (see `OutboxRecord.notice`).
    public var notice: StoredNotice?

    public init(deliveryID: String, notificationID: String, target: String, body: Data?, recipients: [String]?,
                createdAt: Date, attempts: Int, lastStatus: Int?, lastError: String, responseExcerpt: Data?,
                deadAt: Date, notice: StoredNotice? = nil) {
        self.deliveryID = deliveryID
        self.notificationID = notificationID
        self.target = target
        self.body = body
        self.recipients = recipients
        self.createdAt = createdAt
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.responseExcerpt = responseExcerpt
        self.deadAt = deadAt
        self.notice = notice
    }
}

/// What finally happened to a delivery, kept after it left the outbox so the audit log
/// can show delivery outcomes.
public struct DeliveryOutcomeRecord: Sendable, Equatable {
    /// The end of one delivery's journey through the outbox.
    public enum Outcome: String, Sendable {
        case delivered, deadLettered = "dead_lettered", requeued
    }

    public var deliveryID: String
    public var notificationID: String
    public var target: String
    public var outcome: Outcome
    public var attempts: Int
    public var status: Int?
    public var error: String?
    public var at: Date

    public init(deliveryID: String, notificationID: String, target: String, outcome: Outcome, attempts: Int,
                status: Int?, error: String?, at: Date) {
        self.deliveryID = deliveryID
        self.notificationID = notificationID
        self.target = target
        self.outcome = outcome
        self.attempts = attempts
        self.status = status
        self.error = error
        self.at = at
    }
}

/// One page of a newest-first listing. `next` is the cursor to pass as `after` for the
/// following page, nil when this page is the last.
public struct StorePage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: Int64?

    public init(items: [Item], next: Int64?) {
        self.items = items
        self.next = next
    }
}

/// An audit record with its position in the log (the cursor used for paging).
public struct AuditEntry: Sendable, Equatable {
    public var cursor: Int64
    public var record: AuditRecord

    public init(cursor: Int64, record: AuditRecord) {
        self.cursor = cursor
        self.record = record
    }
}

/// A dead letter with its position in the list (the cursor used for paging).
public struct DeadLetterEntry: Sendable, Equatable {
    public var cursor: Int64
    public var record: DeadLetterRecord

    public init(cursor: Int64, record: DeadLetterRecord) {
        self.cursor = cursor
        self.record = record
    }
}

/// A change an operator makes by hand, written with its audit record
/// (`StateStore.applyOperatorChange`).
public enum OperatorChange: Sendable, Equatable {
    case addSilence(SilenceRecord)
    case replaceSilence(SilenceRecord)
    case deleteSilence(id: String)
    case requeueDeadLetter(deliveryID: String, now: Date)
}
