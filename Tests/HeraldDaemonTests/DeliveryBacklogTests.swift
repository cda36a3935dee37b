import Foundation
import Testing
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// Due rows the dispatcher's queue could not take stay in the outbox; the engine reads
/// them again as soon as the target has room, not only when its poll timer fires.
struct DeliveryBacklogTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func rowsRefusedByAFullQueueAreSentWithoutWaitingForThePollTimer() throws {
        let receiver = try PythonReceiver(secrets: [Self.secret])
        defer { receiver.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-backlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("config.json").path
        try """
            {"users": \(TestConfig.ownerOnlyUsers),
             "targets": [{"id": "ops", "url": "\(receiver.url("/ok").absoluteString)", "secrets": [{"env": "SECRET"}], "maxConcurrent": 4}]}
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let runtime = try RuntimeConfig.load(path: configPath, reader: SecretReader(environment: ["SECRET": Self.secret]))
        let store = try SQLiteStore(directory: directory.appendingPathComponent("state"))
        let now = Date()
        let rows = (0..<120).map { index in
            OutboxRecord(deliveryID: "msg_\(index)", notificationID: "n\(index)", target: "ops",
                         body: Data(#"{"subject":{"id":"s\#(index)"}}"#.utf8), createdAt: now, nextAttemptAt: now)
        }
        try store.commit(CommitBatch(outbox: rows))

        // The timer polls once at start and then not for an hour; the queue takes 10 rows
        // past the 4 in flight. Only the refill can send the other 106.
        let engine = try DeliveryEngine(store: store, holder: ConfigHolder(runtime), metrics: MetricsRegistry(),
                                        logger: Logger(label: "test", environment: [:]) { _ in },
                                        pollInterval: .seconds(3600), maxQueuedJobs: 10)
        engine.start()
        defer { engine.shutdown(deadline: .now() + 2) }
        #expect(Poll.until(timeout: 30) { receiver.requests().count >= 120 })
        let ids = Set(receiver.requests().compactMap { $0.headers["webhook-id"] })
        #expect(ids == Set(rows.map(\.deliveryID)))
        #expect(Poll.until(timeout: 10) { (try? store.outboxDepth()) == 0 })
    }
}

/// Rows pushed after their commit wait in memory only up to `maxPushedRows`; past it a
/// push is left out and counted, and the poll sends those rows from the outbox. A push
/// arriving when none waits is taken whatever its size (one notice's fan-out).
struct DeliveryPushLimitTests {
    @Test(arguments: [
        // Pushes of 3 with room for 5: the first waits, the next two would make 6 and 9.
        (limit: 5, pushes: [3, 3, 3], deferred: 6),
        // A push of 4 past a limit of 2 is taken when none waits; the next is not.
        (limit: 2, pushes: [4, 1], deferred: 1),
    ])
    func pushesPastTheLimitAreLeftToThePollAndNothingIsLost(limit: Int, pushes: [Int], deferred: Int) throws {
        let receiver = try PythonReceiver(secrets: [DeliveryBacklogTests.secret])
        defer { receiver.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-pushes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("config.json").path
        try """
            {"users": \(TestConfig.ownerOnlyUsers),
             "targets": [{"id": "ops", "url": "\(receiver.url("/ok").absoluteString)", "secrets": [{"env": "SECRET"}]}]}
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let runtime = try RuntimeConfig.load(path: configPath, reader: SecretReader(environment: ["SECRET": DeliveryBacklogTests.secret]))
        let store = try SQLiteStore(directory: directory.appendingPathComponent("state"))
        let now = Date()
        let total = pushes.reduce(0, +)
        let rows = (0..<total).map { index in
            OutboxRecord(deliveryID: "msg_\(index)", notificationID: "n\(index)", target: "ops",
                         body: Data(#"{"subject":{"id":"s\#(index)"}}"#.utf8), createdAt: now, nextAttemptAt: now)
        }
        try store.commit(CommitBatch(outbox: rows))
        let metrics = MetricsRegistry()
        let engine = try DeliveryEngine(store: store, holder: ConfigHolder(runtime), metrics: metrics,
                                        logger: Logger(label: "test", environment: [:]) { _ in },
                                        pollInterval: .milliseconds(100), maxPushedRows: limit)
        // The engine's queue is busy (held here), so every push admitted stays waiting.
        engine.queue.suspend()
        var start = 0
        for count in pushes {
            engine.submit(Array(rows[start..<start + count]))
            start += count
        }
        #expect(metrics.value("herald_delivery_pushes_deferred_total") == Double(deferred))
        engine.queue.resume()
        engine.start()
        defer { engine.shutdown(deadline: .now() + 2) }
        #expect(Poll.until(timeout: 30) { Set(receiver.requests().compactMap { $0.headers["webhook-id"] }).count == total })
        #expect(Poll.until(timeout: 10) { (try? store.outboxDepth()) == 0 })
    }
}
