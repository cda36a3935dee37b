public import Foundation

/// Decides what happens after an attempt: delivered, retry at a time, dead letter, or
/// disable the target. Pure and deterministic: `now` and the random draw are parameters.
///
/// The default schedule is Standard Webhooks/Svix's: immediately, then 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h. `schedule[n]` is the wait before attempt `n + 1`
/// (so `schedule[0]` is the first attempt's delay, normally 0).
public struct RetryPolicy: Sendable, Equatable {
    /// How the scheduled delay is randomised so many failed deliveries do not return
    /// to a recovering receiver in the same second.
    public enum Jitter: Sendable, Equatable {
        /// Uniform in `0...delay` ("full jitter"): spreads retries the most.
        case full
        /// The delay as scheduled (tests, or receivers that expect a fixed cadence).
        case none
    }

    /// Svix's schedule in seconds.
    public static let standardSchedule: [TimeInterval] = [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
    /// Deliveries older than this are dead-lettered: the full schedule takes ~27.6 h, and
    /// three days covers it plus `Retry-After` extensions, while still giving up on a
    /// message whose news has gone stale.
    public static let standardMaxAge: TimeInterval = 72 * 3600
    /// A receiver's `Retry-After` may push a retry out by at most this much: our own
    /// longest step. A buggy or hostile header must not park a delivery indefinitely.
    public static let maxRetryAfter: TimeInterval = 10 * 3600

    public var schedule: [TimeInterval]
    /// Attempts in total (the first included); past it the delivery is dead-lettered.
    public var maxAttempts: Int
    /// Longest time from the delivery's creation to its last attempt.
    public var maxAge: TimeInterval
    public var jitter: Jitter

    /// `maxAttempts` defaults to the schedule's length; when it is larger, the last
    /// step repeats.
    public init(schedule: [TimeInterval] = RetryPolicy.standardSchedule, maxAttempts: Int? = nil,
                maxAge: TimeInterval = RetryPolicy.standardMaxAge, jitter: Jitter = .full) {
        precondition(!schedule.isEmpty && schedule.allSatisfy { $0 >= 0 }, "retry schedule needs non-negative steps")
        self.schedule = schedule
        self.maxAttempts = max(1, maxAttempts ?? schedule.count)
        self.maxAge = maxAge
        self.jitter = jitter
    }

    /// The decision for one finished attempt.
    public enum Decision: Sendable, Equatable {
        case delivered
        case retry(at: Date, code: FailureReason, reason: String)
        case deadLetter(code: FailureReason, reason: String)
        case disableTarget
    }

    /// What to do after attempt number `attemptsMade` (1-based, this one included)
    /// ended as `result`. `random` must return a value in `0..<1`.
    public func decide(_ result: AttemptClass, attemptsMade: Int, createdAt: Date, now: Date,
                       retryAfter: String?, random: () -> Double) -> Decision {
        decide(result, attemptsMade: attemptsMade, createdAt: createdAt, now: now,
               requestedWait: RetryAfter.delay(retryAfter, now: now), random: random)
    }

    /// The same, with the receiver's requested wait already read (`ResponseRules`).
    public func decide(_ result: AttemptClass, attemptsMade: Int, createdAt: Date, now: Date,
                       requestedWait: TimeInterval?, random: () -> Double) -> Decision {
        switch result {
        case .delivered: return .delivered
        case .gone: return .disableTarget
        case .permanent(let code, let reason): return .deadLetter(code: code, reason: reason)
        case .transient(let code, let reason):
            guard attemptsMade < maxAttempts else {
                return .deadLetter(code: code, reason: "gave up after \(attemptsMade) attempts: \(reason)")
            }
            let wait = delay(beforeAttempt: attemptsMade + 1, retryAfter: requestedWait, random: random)
            let at = now.addingTimeInterval(wait)
            guard at.timeIntervalSince(createdAt) <= maxAge else {
                return .deadLetter(code: code, reason: "gave up after \(attemptsMade) attempts, next would exceed max age \(Int(maxAge))s: \(reason)")
            }
            return .retry(at: at, code: code, reason: reason)
        }
    }

    /// Seconds to wait before attempt `attempt` (1-based): the jittered schedule step or
    /// the receiver's `Retry-After`, whichever is later, the latter capped.
    public func delay(beforeAttempt attempt: Int, retryAfter: TimeInterval?, random: () -> Double) -> TimeInterval {
        let step = schedule[min(max(attempt - 1, 0), schedule.count - 1)]
        let jittered: TimeInterval
        switch jitter {
        case .full: jittered = step * min(max(random(), 0), 1)
        case .none: jittered = step
        }
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, Self.maxRetryAfter))
    }
}
