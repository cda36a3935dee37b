import Dispatch
import Foundation
import Synchronization

/// When this instance last claimed or renewed each outbox row it holds in memory, on the
/// monotonic clock, in a store several instances share (issue #20 guarantee 3).
///
/// A claim lasts `lease` on the database's clock; another instance may take the row once
/// it has run out. A row can wait in a per-target queue far longer than that (a slow or
/// backed-up target), so the engine renews the claims of every row held here every
/// `renewalInterval`, and the dispatcher asks `mayStart` before sending a queued row: a
/// row whose claim may have run out — `lease - margin` or more since the last claim or
/// renewal that the store confirmed — is not sent but dropped, and whoever claims it
/// next sends it (this instance's own poll, if nobody else took it).
///
/// Times are taken *before* the claim or renewal statement is sent, so they are never
/// later than the database's start of the lease: the guard errs towards dropping.
/// Shared between the engine's queue, the renewal queue and the dispatcher (which asks
/// under its own lock), hence the mutex; nothing here calls out while holding it.
final class OutboxLeases: Sendable {
    /// How long a claim lasts (the store's lease).
    let lease: Duration
    /// Safety margin before the lease's end at which a row is no longer started.
    let margin: Duration

    /// Largest margin: five seconds covers a slow renewal round trip and the time from the
    /// check to the request's first byte on a loaded machine.
    static let maximumMargin = Duration.seconds(5)
    /// The margin is at most this share of the lease, so a short lease (tests, 5 s in
    /// production) still leaves most of it for sending.
    static let marginShare = 5

    private let held = Mutex<[String: UInt64]>([:])

    init(lease: Duration) {
        self.lease = lease
        self.margin = min(lease / Self.marginShare, Self.maximumMargin)
    }

    /// How often the engine renews: a third of the lease, so one failed or late renewal
    /// still leaves the next one time before the row's guard drops it.
    var renewalInterval: DispatchTimeInterval {
        .nanoseconds(Int(Self.nanoseconds(lease) / 3))
    }

    /// The monotonic clock (continues while the process is stopped by SIGSTOP, so a
    /// paused instance sees how long it was away).
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The claim time of a row committed (and so claimed) by this instance: the row's
    /// creation time (taken before its commit) read on the monotonic clock, so a pause
    /// between the commit and the hand-over to the sender counts against the lease.
    static func claimTime(createdAt: Date, now wall: Date = Date(), monotonic: UInt64 = OutboxLeases.now()) -> UInt64 {
        let elapsed = UInt64(max(0, wall.timeIntervalSince(createdAt)) * 1e9)
        return monotonic > elapsed ? monotonic - elapsed : 0
    }

    /// Whether a row claimed at `claimedAt` may still be sent at `now`.
    func isFresh(_ claimedAt: UInt64, now: UInt64 = OutboxLeases.now()) -> Bool {
        let limit = Self.nanoseconds(lease - margin)
        return now < claimedAt || now - claimedAt < limit
    }

    /// The row is held in memory from now on, claimed at `claimedAt`.
    func hold(_ deliveryID: String, claimedAt: UInt64) {
        held.withLock { $0[deliveryID] = claimedAt }
    }

    /// The store confirmed these rows' claims as of `at`: later times only, and only for
    /// rows still held (one finished meanwhile stays forgotten).
    func renewed(_ deliveryIDs: some Sequence<String>, at: UInt64) {
        held.withLock { held in
            for id in deliveryIDs {
                if let previous = held[id], previous < at { held[id] = at }
            }
        }
    }

    /// The row left memory (finished, refused, cancelled).
    func forget(_ deliveryID: String) {
        _ = held.withLock { $0.removeValue(forKey: deliveryID) }
    }

    /// Whether the dispatcher may start the row now; a row not held here (never handed
    /// over, or already forgotten) is not sent.
    func mayStart(_ deliveryID: String) -> Bool {
        let now = Self.now()
        return held.withLock { held in held[deliveryID].map { isFresh($0, now: now) } ?? false }
    }

    /// The rows held now, to renew.
    func heldIDs() -> [String] {
        held.withLock { Array($0.keys) }
    }

    var count: Int { held.withLock { $0.count } }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
