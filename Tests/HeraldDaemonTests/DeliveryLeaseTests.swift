import Foundation
import Testing
import HeraldPostgres
import HeraldStore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon

/// Outbox claims on rows held in memory, two delivery engines on one PostgreSQL outbox
/// (issue #20 guarantee 3): rows waiting behind a slow target keep their claim while
/// renewals work, and a row whose claim may have run out is never sent by its old holder
/// but left to the other instance.
///
/// Instance A sends to `/slow` (one at a time, 200 ms each: 40 rows take 8 s, longer than
/// the 5 s lease); instance B sends to `/ok`, so the receiver's paths say who sent what.
/// A reads the outbox once (at start) and never again, so only its renewals can keep its
/// claims: its poll renews them too.
struct DeliveryLeaseTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let rows = 40
    static let lease = Swift.Duration.seconds(5)

    @Test func aRowWhoseClaimRanOutWhileItWaitedIsNotSentButLeftToTheOtherInstance() throws {
        try withTwoInstances(renewing: false) { receiver, a in
            #expect(Poll.until(timeout: 60) { Set(receiver.requests().compactMap { $0.headers["webhook-id"] }).count >= Self.rows })
            Thread.sleep(forTimeInterval: 1)   // nothing more is sent after the last row arrived
            let (byA, byB) = Self.senders(receiver)
            #expect(byA.union(byB) == Set((0..<Self.rows).map { "msg_\($0)" }))
            #expect(byA.isDisjoint(with: byB))   // A never sent a row B took over
            #expect(!byA.isEmpty && byA.count < Self.rows)
            #expect(!byB.isEmpty)
            #expect(a.lapsed > 0)
        }
    }

    @Test func renewedClaimsKeepRowsWaitingBehindASlowTargetWithTheirHolder() throws {
        try withTwoInstances(renewing: true) { receiver, a in
            #expect(Poll.until(timeout: 60) { Set(receiver.requests().compactMap { $0.headers["webhook-id"] }).count >= Self.rows })
            Thread.sleep(forTimeInterval: 1)
            let (byA, byB) = Self.senders(receiver)
            #expect(byA.count == Self.rows)
            #expect(byB.isEmpty)
            #expect(receiver.requests().count == Self.rows)   // each sent once
            #expect(a.lapsed == 0)
            #expect(a.renewed > 0)
        }
    }

    /// Webhook ids sent by A (`/slow`) and by B (`/ok`).
    static func senders(_ receiver: PythonReceiver) -> (Set<String>, Set<String>) {
        let requests = receiver.requests()
        func ids(_ path: String) -> Set<String> { Set(requests.filter { $0.path == path }.compactMap { $0.headers["webhook-id"] }) }
        return (ids("/slow"), ids("/ok"))
    }

    /// Instance A's metrics, read after the run.
    struct Counts {
        let metrics: MetricsRegistry
        var lapsed: Double { metrics.value(DaemonMetrics.claimsLapsed, [("target", "ops")]) ?? 0 }
        var renewed: Double { metrics.value(DaemonMetrics.claimsRenewed) ?? 0 }
    }

    func withTwoInstances(renewing: Bool, _ body: (PythonReceiver, Counts) throws -> Void) throws {
        let server = try TemporaryPostgres.shared()
        let database = try server.createDatabase()
        defer { server.drop(database.name) }
        let receiver = try PythonReceiver(secrets: [Self.secret])
        defer { receiver.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-lease-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let milliseconds = Int(Self.lease.components.seconds) * 1000
        let (storeA, storeB) = (try PostgresStore(url: database.url, connections: 2, leaseMilliseconds: milliseconds),
                                try PostgresStore(url: database.url, connections: 2, leaseMilliseconds: milliseconds))
        let now = Date()
        try storeA.commit(CommitBatch(outbox: (0..<Self.rows).map { index in
            OutboxRecord(deliveryID: "msg_\(index)", notificationID: "n\(index)", target: "ops",
                         body: Data(#"{"subject":{"id":"s\#(index)"}}"#.utf8), createdAt: now, nextAttemptAt: now)
        }))
        let metricsA = MetricsRegistry()
        let a = try DeliveryEngine(store: storeA, holder: try holder(receiver.url("/slow?ms=200"), directory, "a"), metrics: metricsA,
                                   logger: Logger(label: "a", environment: [:]) { _ in }, claimLease: Self.lease,
                                   pollInterval: .seconds(3600), renewsClaims: renewing)
        a.start()
        defer { a.shutdown(deadline: .now() + 2) }
        let b = try DeliveryEngine(store: storeB, holder: try holder(receiver.url("/ok"), directory, "b"), metrics: MetricsRegistry(),
                                   logger: Logger(label: "b", environment: [:]) { _ in }, claimLease: Self.lease)
        b.start()
        defer { b.shutdown(deadline: .now() + 2) }
        try body(receiver, Counts(metrics: metricsA))
        #expect(Poll.until(timeout: 10) { (try? storeA.outboxDepth()) == 0 })
    }

    /// The config of one instance: target `ops` at `url`, one request at a time.
    func holder(_ url: URL, _ directory: URL, _ name: String) throws -> ConfigHolder {
        let path = directory.appendingPathComponent("\(name).json").path
        try """
            {"users": \(TestConfig.ownerOnlyUsers),
             "targets": [{"id": "ops", "url": "\(url.absoluteString)", "secrets": [{"env": "SECRET"}], "maxConcurrent": 1}]}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return ConfigHolder(try RuntimeConfig.load(path: path, reader: SecretReader(environment: ["SECRET": Self.secret])))
    }
}
