import Foundation
import Synchronization
import Testing
import HeraldCore
import HeraldSupport
import HeraldTestKit
@testable import HeraldDaemon
@testable import HeraldStore

/// A full disk fails event commits (they need new pages) while the readiness probe, which
/// rewrites one row in place, still succeeds: readiness must also hear about the commits.
struct CommitReadinessTests {
    private func submit(_ evaluation: EvaluationLoop, _ subjects: Range<Int>, tag: String) -> Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>? {
        let events = subjects.map { MetricEvent(id: "\(tag)-\($0)", metric: "m", value: 50, subject: .init(id: "\(tag)-\($0)")) }
        let outcome = Mutex<Result<EvaluationLoop.Summary, EvaluationLoop.Rejection>?>(nil)
        let done = DispatchSemaphore(value: 0)
        evaluation.submit(events) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        guard done.wait(timeout: .now() + 10) == .success else { return nil }
        return outcome.withLock { $0 }
    }

    @Test func aFailedCommitMakesTheInstanceNotReadyUntilOneSucceeds() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-readiness-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try TestConfig.load("""
            {"users": \(TestConfig.ownerOnlyUsers),
             "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 10, "notify": [{"owner": true}]}]}]}
            """)
        let store = try SQLiteStore(directory: directory)
        let evaluation = EvaluationLoop(config: config, state: EvaluationState(), store: store, metrics: MetricsRegistry(),
                                      logger: Logger(label: "test", environment: [:]) { _ in })
        defer { evaluation.drain() }
        guard case .success = submit(evaluation, 0..<5, tag: "before") else { Issue.record("the first commit failed"); return }
        #expect(evaluation.commitProblem() == nil)

        // The file may not grow any more: as on a full disk, 200 new notices do not fit.
        try store.setMaxPageCountForTesting(1)
        guard case .failure(.unavailable) = submit(evaluation, 0..<200, tag: "full") else {
            Issue.record("a commit that needs new pages was not refused"); return
        }
        #expect(store.checkWritable())   // the probe alone would still say ready
        let problem = try #require(evaluation.commitProblem())
        #expect(problem.contains("commit failed") && problem.contains("full"))
        // Out of rotation nothing may come to commit, so the verdict does not last forever.
        #expect(evaluation.commitProblem(now: Date().addingTimeInterval(EvaluationLoop.commitFailureReadinessSeconds + 1)) == nil)

        try store.setMaxPageCountForTesting(1_000_000)
        guard case .success = submit(evaluation, 0..<200, tag: "after") else { Issue.record("no recovery after space came back"); return }
        #expect(evaluation.commitProblem() == nil)
    }
}
