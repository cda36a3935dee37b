import Foundation
import Testing
@testable import HeraldDelivery

/// The per-target FIFO: jobs start in the order accepted, never more than the target's
/// concurrency at once, and unstarted jobs come back intact.
struct TargetQueueTests {
    static let target = TargetSettings(name: "ops", url: URL(string: "http://127.0.0.1:9/hook")!,
                                       secrets: [try! WebhookSecret(parsing: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")])

    static func job(_ n: Int) -> DeliveryJob {
        DeliveryJob(deliveryID: "d\(n)", target: target, body: Data(), createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test func jobsStartInOrderWithinTheConcurrencyLimitOverManyCycles() {
        var queue = TargetQueue()
        queue.maxConcurrent = 3
        var started: [String] = []
        var next = 0
        // Interleave appends, starts and finishes long enough to compact the storage many times.
        for round in 0..<2_000 {
            for _ in 0..<(round % 4) { queue.append(Self.job(next)); next += 1 }
            let batch = queue.takeStartable()
            #expect(queue.inflight <= 3)
            started += batch.map(\.deliveryID)
            for _ in 0..<min(queue.inflight, round % 3) { queue.finishOne() }
        }
        #expect(started == (0..<started.count).map { "d\($0)" })
        #expect(started.count + queue.pendingCount == next)
    }

    @Test func removePendingReturnsExactlyTheUnstartedJobs() {
        var queue = TargetQueue()
        queue.maxConcurrent = 2
        for n in 0..<5 { queue.append(Self.job(n)) }
        #expect(queue.takeStartable().map(\.deliveryID) == ["d0", "d1"])
        #expect(queue.pendingCount == 3)
        #expect(queue.removePending().map(\.deliveryID) == ["d2", "d3", "d4"])
        #expect(queue.pendingCount == 0)
        queue.finishOne()
        queue.append(Self.job(9))
        #expect(queue.takeStartable().map(\.deliveryID) == ["d9"])
    }

    /// A target's `rate` (issue 15): one start per `minInterval`, however many slots are
    /// free, and the wait until the next start is known so the dispatcher can wake then.
    @Test func aRateStartsOneJobPerIntervalAndSaysHowLongToWait() {
        var queue = TargetQueue()
        queue.maxConcurrent = 4
        queue.minInterval = 1
        for n in 0..<3 { queue.append(Self.job(n)) }
        let t0 = Date(timeIntervalSince1970: 1_000)
        #expect(queue.takeStartable(now: t0).map(\.deliveryID) == ["d0"])
        #expect(queue.rateWait(now: t0) == 1)
        #expect(queue.takeStartable(now: t0.addingTimeInterval(0.5)).isEmpty)
        #expect(queue.rateWait(now: t0.addingTimeInterval(0.5)) == 0.5)
        #expect(queue.takeStartable(now: t0.addingTimeInterval(1)).map(\.deliveryID) == ["d1"])
        #expect(queue.takeStartable(now: t0.addingTimeInterval(2.5)).map(\.deliveryID) == ["d2"])
        #expect(queue.rateWait(now: t0.addingTimeInterval(2.5)) == nil, "nothing waits")
    }
}
