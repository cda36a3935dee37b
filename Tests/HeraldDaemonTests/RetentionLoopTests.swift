import Foundation
import Testing
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// The retention pass prunes by the config's durations as of its clock, gives the pages
/// back and publishes the store's figures (issue #22).
struct RetentionLoopTests {
    /// A clock tests move by hand.
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        init(_ start: Date) { current = start }
        var now: Date { lock.withLock { current } }
        func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    }

    @Test func aPassPrunesWhatTheRetentionLetsGoAndPublishesTheFigures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-retention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("config.json").path
        try """
            {"users": \(TestConfig.ownerOnlyUsers), "store": {"retention": {"audit": "2h", "deliveries": "1h"}}}
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let runtime = try RuntimeConfig.load(path: configPath, reader: SecretReader(environment: [:]))
        let store = try SQLiteStore(directory: directory.appendingPathComponent("state"))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        // One notice a minute for three hours.
        try store.commit(CommitBatch(audit: (0..<180).map { minute in
            AuditRecord(notificationID: "n\(minute)", ruleID: "r", subjectID: "s", transition: "firing", tier: nil,
                        createdAt: start + Double(minute) * 60, payload: Data(String(repeating: "x", count: 2_000).utf8))
        }))
        let clock = Clock(start + 3 * 3600)
        let metrics = MetricsRegistry()
        let loop = RetentionLoop(store: store, holder: ConfigHolder(runtime), metrics: metrics,
                                 logger: Logger(label: "test", environment: [:]) { _ in }, clock: { clock.now })
        #expect(RetentionLoop.passInterval(runtime.config.store) == RetentionLoop.maxPassInterval)

        // At 3 h, the first hour (60 notices) is past the 2 h retention.
        #expect(loop.runPass() == 60)
        #expect(try store.auditPage(limit: 500).items.count == 120)
        #expect(metrics.value(RetentionMetrics.rows, [("table", "audit")]) == 120)
        // (Dates pass through milliseconds and the 2001 epoch: equal to well under a millisecond.)
        #expect(abs((metrics.value(RetentionMetrics.oldestAge, [("table", "audit")]) ?? 0) - 2 * 3600) < 0.001)
        #expect((metrics.value(RetentionMetrics.bytes) ?? 0) > 0)
        // Nothing more until the clock moves; then one more minute's worth.
        #expect(loop.runPass() == 0)
        clock.advance(60)
        #expect(loop.runPass() == 1)
        #expect(metrics.value(RetentionMetrics.pruned) == 61)
    }
}
