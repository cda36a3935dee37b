import Foundation
import HeraldCore
import HeraldStore

/// "Was it delivered?" for one notification: each webhook of it (one per target, or per
/// person for per-recipient targets) with where it stands — still in the outbox
/// (attempts so far, last answer, next try), delivered (answer code, attempts) or
/// dead-lettered (the reason) — and one overall status. Read from the outbox and the
/// delivery history the store keeps when a webhook leaves the outbox.
struct DeliveryStatus: Sendable {
    /// Where one webhook, or a whole notification, stands.
    enum State: String, Sendable {
        case pending, delivered
        case deadLettered = "dead_lettered"
        /// Held by a silence: nothing was sent.
        case suppressed
        /// Nothing to send (no target, or nobody to tell).
        case none
    }

    struct Delivery: Sendable {
        let id: String
        let target: String
        let state: State
        let attempts: Int
        let status: Int?
        let error: String?
        /// When it was delivered or dead-lettered; nil while pending.
        let at: Date?
        let nextAttemptAt: Date?
    }

    let deliveries: [Delivery]
    let overall: State

    /// Joins the waiting rows and the history: a row still in the outbox is pending
    /// (even if requeued from the dead letters); otherwise its latest outcome counts.
    init(pending: [OutboxRecord], outcomes: [DeliveryOutcomeRecord], suppressed: Bool) {
        var byID: [String: Delivery] = [:]
        var order: [String] = []
        for outcome in outcomes where outcome.outcome != .requeued {
            if byID[outcome.deliveryID] == nil { order.append(outcome.deliveryID) }
            byID[outcome.deliveryID] = Delivery(id: outcome.deliveryID, target: outcome.target,
                                                state: outcome.outcome == .delivered ? .delivered : .deadLettered,
                                                attempts: outcome.attempts, status: outcome.status, error: outcome.error,
                                                at: outcome.at, nextAttemptAt: nil)
        }
        for row in pending {
            if byID[row.deliveryID] == nil { order.append(row.deliveryID) }
            byID[row.deliveryID] = Delivery(id: row.deliveryID, target: row.target, state: .pending, attempts: row.attempts,
                                            status: row.lastStatus, error: row.lastError, at: nil, nextAttemptAt: row.nextAttemptAt)
        }
        deliveries = order.compactMap { byID[$0] }
        let states = Set(deliveries.map(\.state))
        overall = if suppressed { .suppressed }
            else if states.isEmpty { .none }
            else if states.contains(.pending) { .pending }
            else if states.contains(.deadLettered) { .deadLettered }
            else { .delivered }
    }

    /// Reads what the store knows of `notificationID`.
    static func read(_ notificationID: String, suppressed: Bool, store: any StateStore) throws(StoreError) -> DeliveryStatus {
        DeliveryStatus(pending: try store.pendingDeliveries(notificationID: notificationID),
                       outcomes: try store.deliveryOutcomes(notificationID: notificationID), suppressed: suppressed)
    }

    var json: [String: Any] {
        ["status": overall.rawValue, "deliveries": deliveries.map { d -> [String: Any] in
            ["id": d.id, "target": d.target, "status": d.state.rawValue, "attempts": d.attempts,
             "responseStatus": d.status.map { $0 as Any } ?? NSNull(), "error": d.error.map { $0 as Any } ?? NSNull(),
             "at": d.at.map { NotificationJSON.timestamp($0) as Any } ?? NSNull(),
             "nextAttemptAt": d.nextAttemptAt.map { NotificationJSON.timestamp($0) as Any } ?? NSNull()]
        }]
    }
}
