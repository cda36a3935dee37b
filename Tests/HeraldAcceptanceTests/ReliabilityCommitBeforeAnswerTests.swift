import Foundation
import Testing
import HeraldTestKit

/// #17 item 15: "202 means durable", pinned deterministically. Another process holds
/// SQLite's write lock, so the commit cannot complete: no answer may arrive while it is
/// held (an answer sent before the commit would arrive at once); released, the 202
/// comes and the event's notice is in the audit log.
@Suite(.serialized)
struct ReliabilityCommitBeforeAnswerTests {
    typealias F = ApiFixture

    /// How long the commit is held: well under the store's 5 s busy timeout, long enough
    /// that an early answer could not hide.
    static let holdSeconds: TimeInterval = 1.5

    @Test func noAnswerArrivesUntilTheCommitCompletes() throws {
        let herald = try F.start()
        // One committed event first, so the database file and its tables exist.
        #expect(try F.postEvents(herald, F.event(id: "c-0", value: 1, subject: "p-0")).status == 202)
        let lock = try SQLiteWriteLock(database: herald.stateDirectory.appendingPathComponent("herald.sqlite"))
        let pending = PendingResponse()
        DispatchQueue.global().async {
            pending.set(try? F.postEvents(herald, F.event(id: "c-1", value: 12, subject: "p-held")))
        }
        // The event is evaluated and waits for its commit: queued, unanswered.
        let held = Date()
        #expect(Poll.until(timeout: 5) { (try? F.metrics(herald)["herald_queue_depth"]) == 1 })
        Thread.sleep(until: held.addingTimeInterval(Self.holdSeconds))
        #expect(pending.value == nil, "answered while the commit was held: \(pending.value.map { "\($0.status) \($0.text)" } ?? "")")
        lock.release()
        print("commit held \(Date().timeIntervalSince(held)) s with no answer")
        #expect(Poll.until(timeout: 10) { pending.value != nil })
        #expect(pending.value?.status == 202)
        #expect(F.transitions(try F.audit(herald, query: "subject=p-held")) == ["firing"])
        #expect(herald.stop() == 0)
    }
}
