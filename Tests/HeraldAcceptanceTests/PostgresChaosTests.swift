import Foundation
import Testing
import HeraldTestKit

/// Issue #20's done-when: three `herald serve` on one PostgreSQL behind nginx, under a
/// load of many subjects (each strictly sequential, with duplicates, acks and resolves by
/// hand), while one instance is killed with kill -9 and restarted, another is paused past
/// its delivery lease and resumed, and PostgreSQL itself restarts. One run (`ChaosRun`,
/// ~40 s) is shared by the tests below, which look at it from two sides.
@Suite(.serialized)
struct PostgresChaosTests {
    /// The run, made by whichever test asks first.
    static let run: Result<ChaosRun, any Error> = Result { try ChaosRun.perform() }

    /// Nothing accepted is lost, and every webhook written is delivered, signed: every
    /// event answered 2xx is stored with what it caused, the outbox drains with no dead
    /// letter, the receiver verified exactly the delivery ids recorded as delivered, and
    /// each of those was recorded once (a paused instance's late finish changed nothing).
    @Test func underKillPauseAndDatabaseRestartNothingAcceptedIsLostAndEveryWebhookArrives() throws {
        let entered = Date()
        let run = try Self.run.get()
        let summary = Self.summary(run) + String(format: "\n%6.1f s  the run returned, servers stopped (test body)", Date().timeIntervalSince(entered))
        #expect(run.failures.isEmpty, "client failures: \(run.failures.prefix(10))\n\(summary)")
        #expect(run.drained, "\(summary)")
        #expect(run.exits.allSatisfy { $0 == 0 }, "\(summary)")
        #expect(run.seconds < 120, "\(summary)")

        // The run did what it claims: refusals while PostgreSQL was down, requests nginx
        // moved to another instance, timers that fired.
        #expect(run.statuses[503, default: 0] > 0, "no 503 while PostgreSQL was down\n\(summary)")
        #expect(run.rerouted > 0, "nginx never moved a request to another instance\n\(summary)")
        #expect(run.paused > TimeInterval(run.lease), "\(summary)")
        let notices = try run.store.audit.map { try AuditNotice(payload: $0.payload) }
        #expect(notices.contains { $0.reason == "timeout" }, "no escalation step fired\n\(summary)")

        // Each action answered "changed" is on record, naming its actor.
        let recorded = Set(run.store.actions.compactMap { row -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: row.payload) as? [String: Any],
                  let episode = (object["episode"] as? [String: Any])?["id"] as? String else { return nil }
            return "\(object["action"] as? String ?? "") \(episode) \(object["actor"] as? String ?? "")"
        })
        let actionNames: [ChaosLog.Action.Verb: String] = [.acknowledge: "acknowledge", .resolve: "resolve"]
        let unrecorded = run.actions.filter {
            $0.status == 200 && $0.changed == true && !recorded.contains("\(actionNames[$0.verb]!) \($0.episode) \($0.actor)")
        }
        #expect(unrecorded.isEmpty, "actions answered 200 but not on record: \(unrecorded.map { "\($0.verb) \($0.episode)" })")

        // 0 accepted events lost (what each caused: the replay test below).
        let lost = Set(run.posts.map(\.eventID)).subtracting(run.store.seenEvents)
        #expect(lost.isEmpty, "accepted but not stored: \(lost.sorted().prefix(20))\n\(summary)")

        // Every webhook written is delivered once as far as the store knows, and the
        // receiver verified exactly those (a duplicate send carries the same webhook-id).
        #expect(run.store.outbox.isEmpty, "left in the outbox: \(run.store.outbox.prefix(10))")
        #expect(run.store.deadLetters.isEmpty, "dead letters: \(run.store.deadLetters.prefix(10))")
        let delivered = run.store.outcomes.filter { $0.outcome == "delivered" }
        #expect(run.store.outcomes.count == delivered.count,
                "outcomes other than delivered: \(run.store.outcomes.filter { $0.outcome != "delivered" }.prefix(10).map { "\($0.deliveryID) \($0.outcome)" })")
        let deliveredIDs = Set(delivered.map(\.deliveryID))
        #expect(run.received.allSatisfy { $0.verified }, "unverified: \(run.received.filter { !$0.verified }.prefix(5).map(\.webhookID))")
        let verifiedIDs = Set(run.received.filter(\.verified).map(\.webhookID))
        #expect(verifiedIDs == deliveredIDs,
                "verified but not recorded: \(verifiedIDs.subtracting(deliveredIDs).sorted().prefix(10)); recorded but never received: \(deliveredIDs.subtracting(verifiedIDs).sorted().prefix(10))")
        let sentNotices = Set(run.store.audit.filter { !$0.suppressed }.map(\.notificationID))   // actions send nothing
        #expect(Set(delivered.map(\.notificationID)) == sentNotices, "notices without a delivery: \(sentNotices.subtracting(delivered.map(\.notificationID)).sorted().prefix(10))")
        print(summary)
    }

    /// Nobody is told twice per transition: for every subject, the audit's notices equal
    /// a sequential replay of its accepted events through the Evaluator (same ids, tiers,
    /// transitions, in order; every escalation step once; acks where they happened), the
    /// stored rule state and its revision equal the replay's (gap-free: one revision per
    /// write the replay made), each response counted the notices the replay made for its
    /// event, every deliberate duplicate was answered as one, every ack found its episode
    /// whichever instance took it, and each delivery was recorded once.
    @Test
    func everySubjectsNoticesAndStateEqualASequentialReplay() throws {
        let run = try Self.run.get()
        let check = try ReplayCheck(config: run.config)
        let inputsBySubject = Self.inputs(run)
        let auditBySubject = Dictionary(grouping: run.store.audit, by: \.subject)
        var problems: [String] = []
        var noticesPerEvent: [String: Int] = [:]
        var totals = (notices: 0, timeouts: 0, manual: 0)
        for subject in Set(inputsBySubject.keys).union(auditBySubject.keys).sorted() {
            let report = try check.check(ReplayCheck.Subject(
                id: subject, inputs: inputsBySubject[subject] ?? [],
                audit: (auditBySubject[subject] ?? []).map(\.payload), states: run.store.states[subject] ?? [:],
                revisions: run.store.revisions[subject] ?? [:]), end: run.replayEnd)
            problems += report.problems
            noticesPerEvent.merge(report.noticesPerEvent) { $0 + $1 }
            totals = (totals.notices + report.notices, totals.timeouts + report.timeouts, totals.manual + report.manual)
        }
        #expect(run.timersDone, "escalation timers still pending in the rule states after the longest chain")
        #expect(problems.isEmpty, "\(problems.count) differences from the replay:\n\(problems.prefix(8).joined(separator: "\n"))")

        // What each accepted event caused is in the audit, as its 2xx counted it.
        var valueNotices: [String: Int] = [:]
        for notice in try run.store.audit.map({ try AuditNotice(payload: $0.payload) }) where notice.reason == "value" {
            valueNotices[notice.eventID ?? "", default: 0] += 1
        }
        let missing = run.posts.filter { $0.duplicates == 0 && valueNotices[$0.eventID, default: 0] < $0.notifications }
        #expect(missing.isEmpty, "answered with notices the audit lacks: \(missing.prefix(10).map { "\($0.eventID): \($0.notifications)" })")
        let fresh = run.posts.filter { $0.duplicates == 0 }
        let miscounted = fresh.filter { $0.notifications != noticesPerEvent[$0.eventID, default: 0] }
        #expect(miscounted.isEmpty, "2xx counts that differ from the replay: \(miscounted.prefix(10).map { "\($0.eventID): \($0.notifications) != \(noticesPerEvent[$0.eventID, default: 0])" })")
        // An event id is accepted once across the instances, also when two of them had it
        // at the same moment: at most one 2xx per id says "new" (none when the accepting
        // answer was lost to a timeout and a retry was told "duplicate").
        let answeredNew = Self.repeated(run.posts.filter { $0.duplicates == 0 }.map(\.eventID))
        #expect(answeredNew.isEmpty, "accepted as new more than once: \(answeredNew.prefix(10))")
        let deliberate = run.posts.filter(\.deliberate)
        #expect(deliberate.allSatisfy { $0.duplicates == 1 && $0.notifications == 0 },
                "deliberate duplicates not answered as such: \(deliberate.filter { $0.duplicates != 1 || $0.notifications != 0 }.prefix(10).map(\.eventID))")

        #expect(run.actions.contains { $0.verb == .acknowledge && $0.status == 200 && $0.changed == true }, "no ack took")
        #expect(run.actions.contains { $0.verb == .resolve && $0.status == 200 && $0.changed == true }, "no resolve by hand took")
        // Each action answered "changed" is in the audit, as its actor's manual notice.
        let manual = Set(try run.store.audit.map { try AuditNotice(payload: $0.payload) }
            .filter { $0.reason == "manual" }.map { "\($0.transition) \($0.episodeID) \($0.actor ?? "")" })
        let transitions: [ChaosLog.Action.Verb: String] = [.acknowledge: "acknowledged", .resolve: "resolved"]
        let unnoticed = run.actions.filter {
            $0.status == 200 && $0.changed == true && !manual.contains("\(transitions[$0.verb]!) \($0.episode) \($0.actor)")
        }
        #expect(unnoticed.isEmpty, "actions answered 200 without their notice: \(unnoticed.map { "\($0.verb) \($0.episode)" })")
        // The client names the episode its own accepted events started; whichever instance
        // takes the action finds it. Only a resolve whose first answer was lost may find
        // the episode ended (by that first attempt).
        let refused = run.actions.filter { !($0.status == 200 || ($0.verb == .resolve && $0.lostAnswer && $0.error == "episode_ended")) }
        #expect(refused.isEmpty, "actions refused: \(refused.prefix(10).map { "\($0.verb) \($0.episode) \($0.status) \($0.error ?? "")" })")

        // One notice, one delivery: each delivery id recorded delivered once (a notice
        // committed twice would make its outbox row, and its webhook, twice; a paused
        // instance's late finish must not record a delivery another instance made).
        let delivered = run.store.outcomes.filter { $0.outcome == "delivered" }.map(\.deliveryID)
        #expect(Set(delivered).count == delivered.count, "deliveries recorded twice: \(Self.repeated(delivered).prefix(10))")
        print("replay: \(totals.notices) notices (\(totals.timeouts) escalation steps, \(totals.manual) by hand) over \(noticesPerEvent.count) events")
    }

    /// Each subject's 2xx answers in its order: event bodies, and the actions that took
    /// (200; a resolve whose lost first answer had taken shows in the audit as done by
    /// that first attempt, at the same place).
    static func inputs(_ run: ChaosRun) -> [String: [ReplayCheck.Input]] {
        let transitions: [ChaosLog.Action.Verb: String] = [.acknowledge: "acknowledged", .resolve: "resolved"]
        var ordered: [(subject: String, order: Int, input: ReplayCheck.Input)] = run.posts.map { ($0.subject, $0.order, .event($0.body)) }
        for action in run.actions where action.status == 200 || action.lostAnswer {
            ordered.append((action.subject, action.order,
                            .action(transition: transitions[action.verb]!, episodeID: action.episode, actor: action.actor)))
        }
        return Dictionary(grouping: ordered.sorted { $0.order < $1.order }, by: \.subject).mapValues { $0.map(\.input) }
    }

    static func repeated(_ ids: [String]) -> [String] {
        Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
    }

    /// The run in figures, for every failure message and the log.
    static func summary(_ run: ChaosRun) -> String {
        let statuses = run.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let actions = Dictionary(grouping: run.actions, by: { "\($0.verb.rawValue) \($0.status)\($0.error.map { " \($0)" } ?? "")" })
            .mapValues(\.count)
        return """
            chaos run: \(String(format: "%.1f", run.seconds)) s, \(run.posts.count) posts answered 2xx \
            (\(run.posts.filter(\.deliberate).count) deliberate duplicates, \(run.posts.filter(\.raced).count) posted in pairs at once), attempts by status [\(statuses)], \
            \(run.rerouted) requests nginx moved, actions \(actions), \(run.store.audit.count) notices, \
            \(run.store.outcomes.count) outcomes, \(run.received.count) webhooks received \
            (\(run.received.count - Set(run.received.map(\.webhookID)).count) repeats), paused \(Int(run.paused)) s with lease \(run.lease) s
            \(run.timeline.joined(separator: "\n"))
            """
    }
}
