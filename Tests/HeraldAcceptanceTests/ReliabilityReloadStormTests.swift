import Foundation
import Testing
import HeraldTestKit

/// Reload storm, CI size: SIGHUPs alternate good and bad configs while events flow; no
/// crash, no lost event, and the last good config is the one running.
@Suite(.serialized)
struct ReliabilityReloadStormTests {
    /// The shared config with a marker user that tells which layout is running.
    static func good(_ marker: String, receiver: PythonReceiver, threshold: Int) -> String {
        Reliability.config(targetURL: receiver.url("/ok").absoluteString)
            .replacingOccurrences(of: #"{"id": "o", "name": "Owner", "owner": true}"#,
                                  with: #"{"id": "o", "name": "Owner", "owner": true}, {"id": "\#(marker)", "name": "Marker"}"#)
            .replacingOccurrences(of: #""threshold": 10"#, with: #""threshold": \#(threshold)"#)
    }

    static let bad = [
        #"{"users": ["#,                                                                  // syntax error
        #"{"users": [{"id": "o", "owner": true, "roles": ["nope"]}]}"#,                  // undefined role
        #"{"users": [{"id": "o", "owner": true}], "server": {"connectionTimeout": "99999d"}}"#,  // out of range
    ]

    @Test func alternatingGoodAndBadReloadsUnderLoad() throws {
        let receiver = try PythonReceiver(secrets: [Reliability.secret])
        let goods = [("marker-a", Self.good("marker-a", receiver: receiver, threshold: 10)),
                     ("marker-b", Self.good("marker-b", receiver: receiver, threshold: 20))]
        let herald = try HeraldProcess(config: goods[0].1, environment: Reliability.environment)
        let producer = AcknowledgingProducer(url: herald.url("/v1/events"))
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            producer.run(total: 600, rate: 200, deadline: Date().addingTimeInterval(20))
            done.signal()
        }
        var lastGood = goods[0].0
        for round in 0..<24 {
            if round % 2 == 0 {
                let (marker, text) = goods[(round / 2) % 2]
                try herald.writeConfig(text)
                lastGood = marker
            } else {
                try herald.writeConfig(Self.bad[round % Self.bad.count])
            }
            herald.signal(SIGHUP)
            Thread.sleep(forTimeInterval: 0.1)
        }
        // The storm can outrun the reloads (a reload may read the file after the next
        // write), so it ends deliberately: a good config waited for until applied, then a
        // bad one waited for until refused. The good one must still be running.
        func count(_ text: String) -> Int { herald.logText().components(separatedBy: text).count - 1 }
        let applied = count("msg=\"config reloaded\"")
        lastGood = goods[1].0
        try herald.writeConfig(goods[1].1)
        herald.signal(SIGHUP)
        #expect(Poll.until(timeout: 10) { count("msg=\"config reloaded\"") > applied })
        let refused = count("config reload failed")
        try herald.writeConfig(Self.bad[0])
        herald.signal(SIGHUP)
        #expect(Poll.until(timeout: 10) { count("config reload failed") > refused })
        #expect(done.wait(timeout: .now() + 25) == .success)
        let acked = producer.acked
        #expect(Poll.until(timeout: 20) { acked.isSubset(of: receiver.deliveredSubjects().subjects) })
        let lost = acked.subtracting(receiver.deliveredSubjects().subjects).count
        let running = try goods.map(\.0).filter {
            try HTTPClient.get(herald.url("/v1/directory/users/\($0)"), token: Reliability.readToken).status == 200
        }
        let log = herald.logText()
        print("reload storm (CI size): 26 SIGHUPs, \(log.components(separatedBy: "msg=\"config reloaded\"").count - 1) applied, \(log.components(separatedBy: "config reload failed").count - 1) refused; accepted \(acked.count), lost \(lost); running \(running), expected \(lastGood)")
        #expect(herald.isRunning)
        #expect(lost == 0)
        #expect(acked.count == 600)
        #expect(running == [lastGood])
        #expect(herald.stop() == 0)
    }
}
