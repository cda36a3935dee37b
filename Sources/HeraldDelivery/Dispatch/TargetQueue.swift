import Foundation

/// Jobs waiting for one target and the transfers it has in flight.
///
/// Each target has its own queue and concurrency limit, so a failing or slow target
/// only ever fills its own slots and never delays another target's deliveries.
///
/// The waiting jobs are a FIFO over an array with a moving head: `removeFirst` on a
/// plain array shifts every remaining job, which made a burst of 10,000 webhooks
/// quadratic. Taken slots are dropped in one go once they are half the storage.
struct TargetQueue {
    /// Jobs accepted (oldest first); those before `head` are already started.
    private var storage: [DeliveryJob] = []
    private var head = 0
    private(set) var inflight = 0
    /// Taken from the most recently submitted job, so a reload applies at once.
    var maxConcurrent = 1
    /// Least seconds between two starts (the target's `rate`), from the latest job too.
    var minInterval: TimeInterval?
    /// When the next request may start under `minInterval`.
    private(set) var nextStart = Date.distantPast
    /// A wake-up for this queue is scheduled (see `WebhookDispatcher.takeStartable`).
    var wakeScheduled = false

    /// Body bytes of the jobs not yet started. Bounded by the dispatcher.
    private(set) var pendingBytes = 0

    /// Jobs accepted but not yet started. Bounded by the dispatcher.
    var pendingCount: Int { storage.count - head }

    mutating func append(_ job: DeliveryJob) {
        storage.append(job)
        pendingBytes += job.body.count
    }

    /// Marks as started and returns as many pending jobs as free slots and the rate
    /// allow at `now`. A job `mayStart` refuses is taken out without using a slot or the
    /// rate and added to `refused` (its owner no longer holds it, see `WebhookDispatcher`).
    mutating func takeStartable(now: Date = Date(), mayStart: (DeliveryJob) -> Bool = { _ in true },
                                refused: inout [DeliveryJob]) -> [DeliveryJob] {
        var started: [DeliveryJob] = []
        while inflight < maxConcurrent, head < storage.count {
            guard mayStart(storage[head]) else {
                refused.append(storage[head])
                pendingBytes -= storage[head].body.count
                head += 1
                continue
            }
            if let minInterval {
                guard now >= nextStart else { break }
                nextStart = max(now, nextStart).addingTimeInterval(minInterval)
            }
            started.append(storage[head])
            pendingBytes -= storage[head].body.count
            head += 1
            inflight += 1
        }
        if head > 0, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return started
    }

    /// `takeStartable` for callers that refuse nothing.
    mutating func takeStartable(now: Date = Date()) -> [DeliveryJob] {
        var refused: [DeliveryJob] = []
        return takeStartable(now: now, refused: &refused)
    }

    mutating func finishOne() { inflight = max(0, inflight - 1) }

    /// Seconds until the rate lets a waiting job start, or nil when nothing waits for it.
    func rateWait(now: Date) -> TimeInterval? {
        guard minInterval != nil, head < storage.count, inflight < maxConcurrent, nextStart > now else { return nil }
        return nextStart.timeIntervalSince(now)
    }

    /// Removes and returns every job not yet started.
    mutating func removePending() -> [DeliveryJob] {
        defer {
            storage.removeAll()
            head = 0
            pendingBytes = 0
        }
        return Array(storage[head...])
    }
}
