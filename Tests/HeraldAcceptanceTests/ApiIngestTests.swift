import Foundation
import Testing
import HeraldTestKit

/// `POST /v1/events` against the real binary: what accepted events leave in the audit
/// log, how duplicates are reported, and that a restart or a crash after a 202 neither
/// forgets nor repeats anything.
@Suite(.serialized)
struct ApiIngestTests {
    typealias F = ApiFixture

    @Test func acceptedEventsAppearInTheAuditNewestFirstWithTheirRecipients() throws {
        let herald = try F.start()
        let response = try F.postEvents(herald, F.batch([
            F.event(id: "e-1", value: 12, subject: "p-1", timestamp: "2026-11-23T09:00:00Z"),
            F.event(id: "e-2", value: 25, subject: "p-1", timestamp: "2026-11-23T10:00:00Z"),
            F.event(id: "e-3", value: 15, subject: "p-2", timestamp: "2026-11-23T10:30:00Z"),
            F.event(id: "e-4", value: 4, subject: "p-1", timestamp: "2026-11-23T11:00:00Z"),
        ]))
        #expect(response.status == 202)
        #expect(response.json as NSDictionary == ["accepted": 4, "duplicates": 0, "notifications": 4, "unmatched": 0] as NSDictionary)

        let all = try F.audit(herald)
        #expect(F.transitions(all) == ["resolved", "firing", "escalated", "firing"])
        let cursors = all.compactMap { $0["cursor"] as? Int }
        #expect(cursors.count == 4 && cursors == cursors.sorted(by: >), "newest first, by cursor")

        // The first notice: the relation, the managers, and the inactive manager left out.
        let firing = try #require(all.last)
        #expect((firing["subject"] as? [String: Any])?["id"] as? String == "p-1")
        #expect((firing["tier"] as? [String: Any])?["name"] as? String == "10%")
        #expect((firing["rule"] as? [String: Any])?["id"] as? String == F.rule)
        let recipients = (firing["recipients"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? "")<-\($0["path"] ?? "")" }
        #expect(Set(recipients) == ["u-chloe<-relation:primary_coordinator", "u-maya<-group:manager",
                                    "u-noah<-group:manager", "u-rita<-group:manager"])
        let excluded = (firing["excluded"] as? [[String: Any]] ?? []).map { "\($0["id"] ?? "") \($0["reason"] ?? "")" }
        #expect(excluded == ["u-former inactive"])
        #expect((firing["event"] as? [String: Any])?["id"] as? String == "e-1")
        #expect(firing["recordedAt"] is String)

        // Filters.
        #expect(F.transitions(try F.audit(herald, query: "subject=p-2")) == ["firing"])
        #expect(F.transitions(try F.audit(herald, query: "subject=p-1")) == ["resolved", "escalated", "firing"])
        #expect(try F.audit(herald, query: "rule=\(F.rule)").count == 4)
        #expect(try F.audit(herald, query: "rule=no-such-rule").isEmpty)
        #expect(try F.audit(herald, query: "subject=p-1&rule=\(F.rule)").count == 3)
        // `since` filters on when Herald recorded the notice, not the event's timestamp.
        #expect(try F.audit(herald, query: "since=2000-01-01T00:00:00Z").count == 4)
        #expect(try F.audit(herald, query: "since=2100-01-01T00:00:00Z").isEmpty)
    }

    @Test func pagingWalksTheAuditOnceWithoutGapsOrRepeats() throws {
        let herald = try F.start()
        // Five subjects firing: five notices.
        let events = (1...5).map { F.event(id: "page-\($0)", value: 12, subject: "p-\($0)") }
        #expect(try F.postEvents(herald, F.batch(events)).json["notifications"] as? Int == 5)

        let whole = try F.audit(herald, pageSize: 100)
        #expect(whole.count == 5)
        let paged = try F.audit(herald, pageSize: 2)
        #expect(paged.map { $0["id"] as? String } == whole.map { $0["id"] as? String })

        let first = try HTTPClient.get(herald.url("/v1/notifications?limit=2"), token: F.readerToken)
        #expect((first.json["notifications"] as? [Any])?.count == 2)
        let next = try #require(first.json["next"] as? Int)
        let second = try HTTPClient.get(herald.url("/v1/notifications?limit=2&after=\(next)"), token: F.readerToken)
        let secondCursors = (second.json["notifications"] as? [[String: Any]] ?? []).compactMap { $0["cursor"] as? Int }
        #expect(secondCursors.count == 2 && secondCursors.allSatisfy { $0 < next })
        let last = try HTTPClient.get(herald.url("/v1/notifications?limit=5"), token: F.readerToken)
        #expect(last.json["next"] is NSNull, "a page holding everything has no next cursor")
    }

    @Test func duplicatesAreCountedAndChangeNothing() throws {
        let herald = try F.start()
        let first = try F.postEvents(herald, F.event(id: "d-1", value: 12))
        #expect(first.json as NSDictionary == ["accepted": 1, "duplicates": 0, "notifications": 1, "unmatched": 0] as NSDictionary)

        // Same id, a value that would escalate: reported as a duplicate and ignored.
        let again = try F.postEvents(herald, F.event(id: "d-1", value: 35))
        #expect(again.status == 202)
        #expect(again.json as NSDictionary == ["accepted": 0, "duplicates": 1, "notifications": 0, "unmatched": 0] as NSDictionary)
        #expect(F.transitions(try F.audit(herald)) == ["firing"])

        // Within one batch the second copy is the duplicate.
        let batch = try F.postEvents(herald, F.batch([F.event(id: "d-2", value: 13), F.event(id: "d-2", value: 40)]))
        #expect(batch.json as NSDictionary == ["accepted": 1, "duplicates": 1, "notifications": 0, "unmatched": 0] as NSDictionary)
        #expect(F.transitions(try F.audit(herald)) == ["firing"])

        // Events without an id are never duplicates.
        let anonymous = try F.postEvents(herald, F.batch([F.event(value: 13), F.event(value: 13)]))
        #expect(anonymous.json as NSDictionary == ["accepted": 2, "duplicates": 0, "notifications": 0, "unmatched": 0] as NSDictionary)
        #expect(try F.metrics(herald)["herald_events_duplicate_total"] == 2)
    }

    @Test func restartKeepsRuleStateAndSeenEventIds() throws {
        let herald = try F.start()
        let fired = try F.postEvents(herald, F.event(id: "r-1", value: 12, timestamp: "2026-11-23T09:00:00Z"))
        #expect(fired.json["notifications"] as? Int == 1)
        #expect(herald.stop() == 0)
        try herald.start()

        // Same tier after the restart: no second `firing`.
        let sameTier = try F.postEvents(herald, F.event(id: "r-2", value: 14, timestamp: "2026-11-23T09:10:00Z"))
        #expect(sameTier.json as NSDictionary == ["accepted": 1, "duplicates": 0, "notifications": 0, "unmatched": 0] as NSDictionary)
        // The id seen before the restart is still a duplicate.
        let duplicate = try F.postEvents(herald, F.event(id: "r-1", value: 12, timestamp: "2026-11-23T09:00:00Z"))
        #expect(duplicate.json as NSDictionary == ["accepted": 0, "duplicates": 1, "notifications": 0, "unmatched": 0] as NSDictionary)
        // The episode continues: the next tier is an escalation within episode 1.
        let higher = try F.postEvents(herald, F.event(id: "r-3", value: 25, timestamp: "2026-11-23T09:20:00Z"))
        #expect(higher.json["notifications"] as? Int == 1)
        let audit = try F.audit(herald)
        #expect(F.transitions(audit) == ["escalated", "firing"])
        #expect(audit.map { ($0["episode"] as? [String: Any])?["number"] as? Int } == [1, 1])
        #expect(herald.stop() == 0)
    }

    /// Concurrent clients against a small queue: every request is either committed (202)
    /// or refused whole (429), and the audit holds exactly what the 202s reported. With
    /// `queueDepth: 2` only one 2-event request fits at a time, so overlapping requests
    /// are refused (most of them, on this machine).
    @Test func concurrentRequestsAreCommittedOrRefusedWhole() throws {
        let herald = try F.start(server: ["queueDepth": 2, "maxBatchEvents": 2])
        let clients = 8, requestsPerClient = 6
        let results = ResultsBox()
        DispatchQueue.concurrentPerform(iterations: clients) { client in
            for request in 0..<requestsPerClient {
                // Two subjects per request, each crossing into the first tier: 2 notices.
                let events = (0..<2).map { F.event(id: "cc-\(client)-\(request)-\($0)", value: 12, subject: "p-\(client)-\(request)-\($0)") }
                let response = try? F.postEvents(herald, F.batch(events))
                results.append(response.map { ($0.status, $0.json["accepted"] as? Int ?? -1, $0.header("Retry-After")) })
            }
        }
        let all = results.values
        #expect(all.count == clients * requestsPerClient)
        #expect(all.allSatisfy { result in
            guard let (status, accepted, retryAfter) = result else { return false }
            return (status == 202 && accepted == 2) || (status == 429 && retryAfter != nil)
        }, "only whole 202s and 429s with Retry-After")
        let acceptedEvents = all.compactMap { $0 }.filter { $0.0 == 202 }.count * 2
        #expect(acceptedEvents > 0)
        #expect(try F.audit(herald).count == acceptedEvents, "one firing per accepted event, none for refused ones")
        #expect(try F.metrics(herald)["herald_queue_depth"] == 0, "every admitted event released its place")
    }

    /// Collects results from concurrent clients.
    final class ResultsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [(Int, Int, String?)?] = []
        func append(_ value: (Int, Int, String?)?) { lock.withLock { stored.append(value) } }
        var values: [(Int, Int, String?)?] { lock.withLock { stored } }
    }

    @Test func crashAfterAcceptedLosesNothing() throws {
        let herald = try F.start()
        let response = try F.postEvents(herald, F.batch([
            F.event(id: "c-1", value: 12, subject: "p-7", timestamp: "2026-11-23T09:00:00Z"),
            F.event(id: "c-2", value: 31, subject: "p-7", timestamp: "2026-11-23T09:05:00Z"),
        ]))
        #expect(response.status == 202)
        #expect(response.json["notifications"] as? Int == 2)
        herald.crash()   // SIGKILL right after the 202: no drain, no clean close.
        try herald.start()

        let audit = try F.audit(herald, query: "subject=p-7")
        #expect(F.transitions(audit) == ["escalated", "firing"])
        let replay = try F.postEvents(herald, F.batch([
            F.event(id: "c-1", value: 12, subject: "p-7", timestamp: "2026-11-23T09:00:00Z"),
            F.event(id: "c-2", value: 31, subject: "p-7", timestamp: "2026-11-23T09:05:00Z"),
        ]))
        #expect(replay.json as NSDictionary == ["accepted": 0, "duplicates": 2, "notifications": 0, "unmatched": 0] as NSDictionary)
        // Rule state survived too: same tier again is no notice.
        let sameTier = try F.postEvents(herald, F.event(id: "c-3", value: 33, subject: "p-7", timestamp: "2026-11-23T09:10:00Z"))
        #expect(sameTier.json["notifications"] as? Int == 0)
        #expect(herald.stop() == 0)
    }
}
