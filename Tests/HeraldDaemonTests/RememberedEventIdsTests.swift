import Foundation
import Synchronization
import Testing
import HeraldCore
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// The pipeline's periodic prune keeps at most `server.maxRememberedEventIds` ids, in
/// memory and in the store alike, and says so when that cut the window short.
struct RememberedEventIdsTests {
    @Test func pruningPastTheLimitForgetsTheOldestInMemoryAndInTheStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-remembered-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers), "server": {"maxRememberedEventIds": 1000}}
            """)
        let store = try Store(directory: directory)
        let metrics = MetricsRegistry()
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test", environment: [:]) { line in lines.withLock { $0.append(line) } }
        let pipeline = IngestPipeline(config: config, state: EvaluationState(), store: store, metrics: metrics, logger: logger)

        // 12 requests of 100 new ids, each accepted at its own instant.
        for request in 0..<12 {
            let events = (0..<100).map { MetricEvent(id: "r\(request)-\($0)", metric: "m", value: 1, subject: .init(id: "s")) }
            let done = DispatchSemaphore(value: 0)
            pipeline.submit(events) { _ in done.signal() }
            #expect(done.wait(timeout: .now() + 10) == .success)
            Thread.sleep(forTimeInterval: 0.003)
        }
        pipeline.pruneSeenEvents()
        let remembered = pipeline.queue.sync { Set(pipeline.state.seenEvents.keys) }
        #expect(remembered.count == 1000)
        #expect(!remembered.contains("r1-0") && remembered.contains("r2-0") && remembered.contains("r11-99"))
        let stored = Set(try store.loadSeenEvents(since: .distantPast).map(\.eventID))
        #expect(stored == remembered)
        #expect(metrics.value("herald_event_ids_forgotten_early_total") == 200)
        #expect(metrics.value("herald_event_ids_remembered") == 1000)
        #expect(lines.withLock { $0.contains { $0.contains("event ids forgotten before the idempotency window ended") } })
        pipeline.drain()
    }
}
