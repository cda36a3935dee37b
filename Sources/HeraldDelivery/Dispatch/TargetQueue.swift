/// Jobs waiting for one target and the transfers it has in flight.
///
/// Each target has its own queue and concurrency limit, so a failing or slow target
/// only ever fills its own slots and never delays another target's deliveries.
struct TargetQueue {
    /// Jobs accepted but not yet started, oldest first. Bounded by the dispatcher.
    private(set) var pending: [DeliveryJob] = []
    private(set) var inflight = 0
    /// Taken from the most recently submitted job, so a reload applies at once.
    var maxConcurrent = 1

    mutating func append(_ job: DeliveryJob) { pending.append(job) }

    /// Marks as started and returns as many pending jobs as free slots allow.
    /// (`removeFirst` is O(n), which is fine for a queue bounded at a few thousand.)
    mutating func takeStartable() -> [DeliveryJob] {
        var started: [DeliveryJob] = []
        while inflight < maxConcurrent, !pending.isEmpty {
            started.append(pending.removeFirst())
            inflight += 1
        }
        return started
    }

    mutating func finishOne() { inflight = max(0, inflight - 1) }

    /// Removes and returns every job not yet started.
    mutating func removePending() -> [DeliveryJob] {
        defer { pending.removeAll() }
        return pending
    }
}
