public import Foundation
import HeraldCore

/// Compares what a store holds for one subject with `EpisodeReplay`'s sequential replay
/// of the events a client had accepted, in the store's own terms (JSON text and bytes),
/// so a black-box acceptance test needs no HeraldCore types. Every difference comes back
/// as one readable line; an empty list means the store equals the replay.
public struct ReplayCheck: Sendable {
    let replay: EpisodeReplay

    /// `config`: the JSON config every instance ran.
    public init(config: String) throws {
        do {
            replay = EpisodeReplay(config: try ConfigLoader.load(Data(config.utf8)))
        } catch {
            throw HeraldProcessError(message: "the replay cannot load the config: \(error)")
        }
    }

    /// What the store holds for one subject, and what its client was answered.
    public struct Subject: Sendable {
        public let id: String
        /// What the client was answered 2xx for, in its order: event bodies (one event
        /// each; deliberate duplicates included) and episode actions.
        public let inputs: [Input]
        /// Audit payloads of the subject's notices, in commit order (audit id).
        public let audit: [Data]
        /// The stored state of each rule with a row, by rule id.
        public let states: [String: Data]
        /// Each row's revision (1 when first written, +1 on every write), by rule id;
        /// empty for a store without revisions.
        public let revisions: [String: Int64]

        public init(id: String, inputs: [Input], audit: [Data], states: [String: Data], revisions: [String: Int64] = [:]) {
            self.id = id
            self.inputs = inputs
            self.audit = audit
            self.states = states
            self.revisions = revisions
        }
    }

    /// One thing a client was answered 2xx for.
    public enum Input: Sendable {
        /// A posted body of one event.
        case event(String)
        /// An acknowledge (`acknowledged`) or resolve by hand (`resolved`) of an episode,
        /// by a user id or `operator:<token>`.
        case action(transition: String, episodeID: String, actor: String)
    }

    /// The findings for one subject.
    public struct Report: Sendable {
        /// Differences between the store and the replay; empty when they agree.
        public var problems: [String] = []
        /// Notices the store holds (all reasons), and of them timer steps and manual ones.
        public var notices = 0
        public var timeouts = 0
        public var manual = 0
        /// Notices the replay made per accepted event id.
        public var noticesPerEvent: [String: Int] = [:]
        /// Rule-state writes the replay made, per rule id.
        public var writes: [String: Int] = [:]
    }

    /// Replays the subject and lists every difference. `end`: a time by which every
    /// timer the replay still has due must have fired in the store.
    public func check(_ subject: Subject, end: Date) throws -> Report {
        let decoder = EventDecoder()
        var inputs: [EpisodeReplay.Input] = []
        for input in subject.inputs {
            switch input {
            case .event(let body): inputs += try decoder.decode(Data(body.utf8)).map { .event($0) }
            case .action(let transition, let episode, let actor): inputs.append(.action(transition: transition, episodeID: episode, actor: actor))
            }
        }
        let stored = try subject.audit.map(AuditNotice.init(payload:))
        let outcome = replay.replay(inputs: inputs, audit: stored, end: end)
        var report = Report(problems: outcome.problems, notices: stored.count,
                            timeouts: stored.filter { $0.reason == "timeout" }.count,
                            manual: stored.filter { $0.reason == "manual" }.count,
                            noticesPerEvent: outcome.noticesPerEvent)
        for (key, count) in outcome.writes { report.writes[key.ruleID] = count }
        report.problems += Self.sequenceProblems(subject.id, store: stored, replay: outcome.notices)
        report.problems += Self.repeatedSteps(subject.id, stored)
        report.problems += stateProblems(subject, replayed: outcome.state)
        // Gap-free: the row was written once per event that moved it, step fired and ack
        // that took — as many times as the replay wrote it, no more (a write on a stale
        // base) and no fewer (a write lost).
        for (rule, revision) in subject.revisions.sorted(by: { $0.key < $1.key }) where revision != Int64(report.writes[rule] ?? 0) {
            report.problems.append("subject \(subject.id), rule \(rule): stored revision \(revision), the replay wrote the row \(report.writes[rule] ?? 0) times")
        }
        return report
    }

    /// The store's notices against the replay's: the first place they part, with a few
    /// notices of context on each side.
    static func sequenceProblems(_ subject: String, store: [AuditNotice], replay: [AuditNotice]) -> [String] {
        let a = store.map(\.description), b = replay.map(\.description)
        guard a != b else { return [] }
        let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        let window = max(0, first - 2)..<(first + 4)
        func excerpt(_ list: [String]) -> String {
            list.indices.filter(window.contains).map { "  [\($0)] \(list[$0])" }.joined(separator: "\n")
        }
        return ["subject \(subject): the store's \(a.count) notices part from the replay's \(b.count) at #\(first)\n"
                + " store:\n\(excerpt(a))\n replay:\n\(excerpt(b))"]
    }

    /// A step of one tier's chain in one episode in the store more than once (fired
    /// twice). Each tier has its own chain, so "step 1" comes once per tier reached; a
    /// chain that runs again (climbing back, unacknowledging) is not something the chaos
    /// test's client does.
    static func repeatedSteps(_ subject: String, _ store: [AuditNotice]) -> [String] {
        var seen: [String: Int] = [:]
        for notice in store where notice.reason == "timeout" {
            seen["\(notice.episodeID) tier \(notice.tier) step \(notice.escalationStep ?? 0)", default: 0] += 1
        }
        return seen.filter { $0.value > 1 }.keys.sorted().map { "subject \(subject): \($0) fired \(seen[$0]!) times" }
    }

    /// Each rule's stored state against the replay's final state (no row: no state).
    func stateProblems(_ subject: Subject, replayed: EvaluationState) -> [String] {
        var problems: [String] = []
        let keys = Set(subject.states.keys).union(replayed.rules.keys.filter { $0.subjectID == subject.id }.map(\.ruleID))
        for rule in keys.sorted() {
            let mine = replayed.rules[RuleStateKey(ruleID: rule, subjectID: subject.id)]
            let theirs = subject.states[rule].flatMap { RuleState(storedJSON: $0) ?? (try? Self.jsonDecoder.decode(RuleState.self, from: $0)) }
            switch (theirs, mine) {
            case (let stored?, let replayed?):
                let differences = stored.differences(from: replayed)
                if !differences.isEmpty {
                    problems.append("subject \(subject.id), rule \(rule): stored state != replay: " + differences.joined(separator: "; "))
                }
            case (nil, _?) where subject.states[rule] != nil:
                problems.append("subject \(subject.id), rule \(rule): the stored state does not decode")
            case (nil, _?):
                problems.append("subject \(subject.id), rule \(rule): no stored state, the replay has one")
            case (_?, nil):
                problems.append("subject \(subject.id), rule \(rule): a stored state the replay never made")
            case (nil, nil):
                break
            }
        }
        return problems
    }

    static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}
