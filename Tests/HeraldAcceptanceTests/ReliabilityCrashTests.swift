import Foundation
import Testing
import HeraldTestKit

/// kill -9 under load, small enough for CI (Benchmarks/reliability/run crash is the big
/// one): events flow at a steady rate, Herald is SIGKILLed three times and restarted on
/// the same port and state; every notification implied by an acknowledged event arrives.
@Suite(.serialized)
struct ReliabilityCrashTests {
    @Test func killNineUnderLoadLosesNoAcknowledgedNotification() throws {
        let receiver = try PythonReceiver(secrets: [Reliability.secret])
        let herald = try HeraldProcess(config: Reliability.config(targetURL: receiver.url("/ok").absoluteString),
                                       environment: Reliability.environment)
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
        print("kill -9 (CI size): 3 kills; accepted \(acked.count), delivered \(acked.intersection(delivered).count), duplicates \(duplicates), lost \(lost), refused attempts \(producer.refused)")
        #expect(acked.count >= 600, "too few events acknowledged to mean anything")
        #expect(lost == 0)
        #expect(receiver.requests().allSatisfy { $0.verified_with == [0] })
        #expect(herald.stop() == 0)
    }
}
