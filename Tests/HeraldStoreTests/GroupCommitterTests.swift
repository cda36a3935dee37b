import Foundation
import HeraldSupport
import Testing
@testable import HeraldStore

/// Thread-safe record of completions, with a way to wait (bounded) for a count.
final class CompletionTally: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Void, StoreError>] = []
    private let arrivals = DispatchSemaphore(value: 0)

    var completion: GroupCommitter.Completion {
        { result in
            self.lock.withLock { self.results.append(result) }
            self.arrivals.signal()
        }
    }

    var successes: Int { lock.withLock { results.filter { if case .success = $0 { true } else { false } }.count } }
    var failureCodes: [StoreError.Code] {
        lock.withLock { results.compactMap { if case .failure(let error) = $0 { error.code } else { nil } } }
    }

    /// Waits until `count` completions arrived, at most `seconds`; false on timeout.
    func wait(for count: Int, seconds: Double = 20) -> Bool {
        let deadline = DispatchTime.now() + seconds
        for _ in 0..<count where arrivals.wait(timeout: deadline) == .timedOut { return false }
        return true
    }
}

private func eventBatch(_ n: Int) -> CommitBatch {
    CommitBatch(ruleStateUpserts: [ruleState("r", "s\(n)")],
                seenEvents: [SeenEventRecord(eventID: "e\(n)", seenAt: at(0))],
                audit: [audit("n\(n)")], outbox: [delivery("d\(n)", notification: "n\(n)")])
}

@Suite struct GroupCommitterTests {
    @Test func concurrentSubmitsAllCompleteInFewTransactions() throws {
        try withStore(synchronous: .full) { (store, _) throws in
            let committer = GroupCommitter(store: store, metrics: MetricsRegistry())
            let tally = CompletionTally()
            let threads = 8, perThread = 250, total = threads * perThread
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for i in 0..<perThread {
                    try? committer.submit(eventBatch(thread * perThread + i), completion: tally.completion)
                }
            }
            #expect(tally.wait(for: total))
            #expect(tally.successes == total)
            #expect(try store.outboxDepth() == total)
            #expect(try store.auditPage(limit: 1).items.first != nil)
            #expect(try store.loadSeenEvents(since: at(0)).count == total)
            // Group commit: far fewer transactions than batches.
            let transactions = committer.transactionCount
            #expect(transactions >= 1 && transactions <= total / 10, "\(transactions) transactions for \(total) batches")
            #expect(store.commitTransactionCount == transactions)
        }
    }

    @Test func loneBatchCommitsAfterTheDelay() throws {
        try withStore { store, _ in
            let committer = GroupCommitter(store: store, metrics: MetricsRegistry(), maxDelay: .milliseconds(5))
            let tally = CompletionTally()
            try committer.submit(eventBatch(1), completion: tally.completion)
            #expect(tally.wait(for: 1))
            #expect(tally.successes == 1)
            #expect(committer.transactionCount == 1)
            #expect(committer.pendingCount == 0)
        }
    }

    @Test func fullGroupCommitsWithoutWaitingForTheDelay() throws {
        try withStore { store, _ in
            let committer = GroupCommitter(store: store, metrics: MetricsRegistry(), maxBatches: 4,
                                           maxDelay: .seconds(600), idleCommit: false)
            let tally = CompletionTally()
            for n in 0..<4 { try committer.submit(eventBatch(n), completion: tally.completion) }
            #expect(tally.wait(for: 4, seconds: 20))   // far sooner than the 600 s delay
            #expect(try store.outboxDepth() == 4)
        }
    }

    @Test func submitsBeyondThePendingLimitAreRejectedAtOnce() throws {
        try withStore { store, _ in
            let metrics = MetricsRegistry()
            let committer = GroupCommitter(store: store, metrics: metrics, maxBatches: 4, maxDelay: .seconds(600),
                                           maxPending: 8, idleCommit: false)
            let tally = CompletionTally()
            store.suspendForTesting()   // the first group's transaction cannot finish
            for n in 0..<8 { try committer.submit(eventBatch(n), completion: tally.completion) }
            #expect(storeErrorCode { try committer.submit(eventBatch(8), completion: tally.completion) } == .overloaded)
            #expect(committer.pendingCount == 8)
            store.resumeForTesting()
            committer.flush()
            #expect(tally.successes == 8)
            #expect(try store.outboxDepth() == 8)
            #expect(metrics.value("herald_store_errors_total", [("code", "overloaded")]) == 1)
            try committer.submit(eventBatch(9), completion: tally.completion)   // room again
            committer.flush()
            #expect(tally.successes == 9)
        }
    }

    @Test func flushCommitsWhatIsWaitingAndRecordsMetrics() throws {
        try withStore { store, _ in
            let metrics = MetricsRegistry()
            let committer = GroupCommitter(store: store, metrics: metrics, maxDelay: .seconds(600), idleCommit: false)
            let tally = CompletionTally()
            for n in 0..<3 { try committer.submit(eventBatch(n), completion: tally.completion) }
            committer.flush()
            #expect(tally.successes == 3)   // completions ran before flush returned
            #expect(committer.transactionCount == 1)
            let text = metrics.exposition()
            #expect(text.contains(#"herald_commit_batch_size_bucket{le="2"} 0"#))
            #expect(text.contains(#"herald_commit_batch_size_bucket{le="4"} 1"#))
            #expect(text.contains(#"herald_commit_batch_size_bucket{le="1024"} 1"#))
            #expect(text.contains("herald_commit_seconds_count 1"))
        }
    }

    @Test func failedTransactionCompletesEveryBatchWithTheError() throws {
        try withStore { store, _ in
            let committer = GroupCommitter(store: store, metrics: MetricsRegistry(), maxDelay: .seconds(600), idleCommit: false)
            let tally = CompletionTally()
            store.failNextCommitForTesting(with: StoreError(code: .full, operation: "test", message: "injected"))
            for n in 0..<3 { try committer.submit(eventBatch(n), completion: tally.completion) }
            committer.flush()
            #expect(tally.failureCodes == [.full, .full, .full])
            #expect(try store.outboxDepth() == 0)
            // The next group succeeds.
            try committer.submit(eventBatch(3), completion: tally.completion)
            committer.flush()
            #expect(tally.successes == 1)
        }
    }
}

/// With `latchFailures`, a failed commit fails every later batch, uncommitted, until
/// `reset()`: batches evaluated after the failure may build on its unwritten effects.
@Test func latchedFailureFailsLaterBatchesUntilReset() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-latch-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try SQLiteStore(directory: directory)
    let committer = GroupCommitter(store: store, metrics: MetricsRegistry(), latchFailures: true)
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    func row(_ id: String) -> OutboxRecord {
        OutboxRecord(deliveryID: id, notificationID: "n", target: "t", body: Data(), createdAt: now, nextAttemptAt: now)
    }
    try store.commit(CommitBatch(outbox: [row("taken")]))
    let results = ResultsBox()
    try committer.submit(CommitBatch(outbox: [row("taken")])) { results.add("dup", $0) }   // constraint failure
    committer.flush()
    try committer.submit(CommitBatch(outbox: [row("later")])) { results.add("later", $0) }
    committer.flush()
    #expect(results.codes == ["dup": .constraint, "later": .constraint])
    #expect(try store.outboxDepth() == 1, "the later batch was not written")
    committer.reset()
    try committer.submit(CommitBatch(outbox: [row("after-reset")])) { results.add("after", $0) }
    committer.flush()
    #expect(results.codes["after"] == nil && results.succeeded.contains("after"))
    #expect(try store.outboxDepth() == 2)
}

private final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String: StoreError.Code] = [:]
    private var successes: Set<String> = []
    func add(_ name: String, _ result: Result<Void, StoreError>) {
        lock.withLock {
            switch result {
            case .success: successes.insert(name)
            case .failure(let error): failures[name] = error.code
            }
        }
    }
    var codes: [String: StoreError.Code] { lock.withLock { failures } }
    var succeeded: Set<String> { lock.withLock { successes } }
}
