import Foundation
import Testing
import HeraldTestKit

/// kill -9 under load, small enough for CI (Benchmarks/reliability/run crash is the big
/// one): events flow at a steady rate, Herald is SIGKILLed three times and restarted on
/// the same port and state; every notification implied by an acknowledged event arrives.
/// With `store.synchronous` "full" (the default) and "normal" (issue #21): normal skips
/// the flush at each commit, and must still lose nothing when only the process dies.
@Suite(.serialized)
struct ReliabilityCrashTests {
    @Test(arguments: StoreSynchronousCase.allCases)
    func killNineUnderLoadLosesNoAcknowledgedNotification(_ synchronous: StoreSynchronousCase) throws {
        let receiver = try PythonReceiver(secrets: [Reliability.secret])
        let herald = try HeraldProcess(config: Reliability.config(targetURL: receiver.url("/ok").absoluteString,
                                                                  extra: #""store": {"synchronous": "\#(synchronous.rawValue)"}"#),
                                       environment: Reliability.environment)
        // Bounded wait: the port answers before the start line is written.
        #expect(herald.waitForLog("sqlite, synchronous \(synchronous.rawValue)"), "the start line names the durability")
        let producer = AcknowledgingProducer(url: herald.url("/v1/events"))
        let loadSeconds = 6.0
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            producer.run(total: 1200, rate: 1200 / loadSeconds, deadline: Date().addingTimeInterval(loadSeconds + 15))
            done.signal()
        }
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: loadSeconds / 4)
            herald.crash()
            try herald.start()
        }
        #expect(done.wait(timeout: .now() + loadSeconds + 20) == .success)
        let acked = producer.acked
        #expect(Poll.until(timeout: 30) { acked.isSubset(of: receiver.deliveredSubjects().subjects) })
        let (delivered, duplicates) = receiver.deliveredSubjects()
        let lost = acked.subtracting(delivered).count
        print("kill -9 (CI size, synchronous \(synchronous.rawValue)): 3 kills; accepted \(acked.count), delivered \(acked.intersection(delivered).count), duplicates \(duplicates), lost \(lost), refused attempts \(producer.refused)")
        #expect(acked.count >= 600, "too few events acknowledged to mean anything")
        #expect(lost == 0)
        #expect(receiver.requests().allSatisfy { $0.verified_with == [0] })
        #expect(herald.stop() == 0)
    }
}

/// The two values of `store.synchronous` the crash test runs with.
enum StoreSynchronousCase: String, CaseIterable, Sendable {
    case full, normal
}
