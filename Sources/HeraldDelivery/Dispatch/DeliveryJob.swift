public import Foundation

/// One attempt's worth of work: a message for a target, as the daemon's outbox holds it.
public struct DeliveryJob: Sendable {
    /// The `webhook-id`: stable across retries so receivers can de-duplicate.
    public var deliveryID: String
    public var target: TargetSettings
    /// The exact bytes to send and sign.
    public var body: Data
    /// Attempts already made before this one.
    public var attempts: Int
    /// When the delivery was created; `maxAge` counts from here.
    public var createdAt: Date

    public init(deliveryID: String, target: TargetSettings, body: Data, attempts: Int = 0, createdAt: Date) {
        self.deliveryID = deliveryID
        self.target = target
        self.body = body
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What became of one attempt. The daemon persists it: marks the row delivered, stores
/// the retry time and re-submits when due, moves it to dead letters, or disables the target.
public enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx after `duration` seconds.
    case delivered(status: Int, duration: TimeInterval)
    /// Try again at `at`; `reason` and `error` say why this attempt failed.
    case retry(at: Date, status: Int?, reason: FailureReason, error: String)
    /// Given up: a permanent failure or the retry budget is spent; `reason` is the
    /// last attempt's cause, `error` says also why Herald gave up.
    case deadLetter(status: Int?, reason: FailureReason, error: String, excerpt: Data)
    /// The target answered 410 Gone: stop sending to it.
    case targetDisabled(status: Int)

    /// Stable name for the `outcome` metric label and logs.
    public var label: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "retry"
        case .deadLetter: "dead_letter"
        case .targetDisabled: "target_disabled"
        }
    }
}

/// One report per attempt: the job as submitted, which attempt it was, and its outcome.
public struct DeliveryReport: Sendable {
    public var job: DeliveryJob
    /// 1-based number of this attempt (`job.attempts + 1`).
    public var attempt: Int
    public var outcome: DeliveryOutcome

    public init(job: DeliveryJob, attempt: Int, outcome: DeliveryOutcome) {
        self.job = job
        self.attempt = attempt
        self.outcome = outcome
    }
}
