import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Rule states held compactly (issue #22): packed between uses, kept as their stored JSON
/// after a restart until first used, and read the same whichever form they are in.
@Suite struct RuleStatesTests {
    static let key = EscalationExampleTests.key

    /// A state with every member set, dates off the millisecond grid, and an event with
    /// relations, labels, a type and a name (the packed form must keep all of it exactly).
    static func everything() -> RuleState {
        var state = RuleState(tierSignature: "absolute:10%=10,20%=20,30%=30")
        state.tier = 2
        state.episode = 7
        state.episodeStartedAt = Date(timeIntervalSince1970: 1_790_000_000.123456)
        state.notices = 3
        state.lastEventAt = Date(timeIntervalSince1970: 1_790_000_100.987654)
        state.lastNoticeAt = Date(timeIntervalSince1970: 1_790_000_050.5)
        state.notifiedTiers = [0, 2]
        state.told = ["u-chloe", "u-maya", "operator:ünïcode-👩‍💻"]
        state.acknowledgedBy = "u-adam"
        state.acknowledgedAt = Date(timeIntervalSince1970: 1_790_000_200.000001)
        state.tierEnteredAt = Date(timeIntervalSince1970: 1_790_000_090)
        state.escalationStep = 4
        state.escalationDueAt = Date(timeIntervalSince1970: 1_790_000_900.25)
        state.lastEvent = MetricEvent(id: "evt-1", metric: "utilisation_variance", value: -31.25,
                                      subject: .init(id: "p-1001", type: "participant", name: "Participant 1001"),
                                      timestamp: Date(timeIntervalSince1970: 1_790_000_100.987654),
                                      relations: ["primary_coordinator": "u-chloe", "support": "u-sam"], labels: ["site": "north", "": "empty key"])
        state.revision = 12
        return state
    }

    /// Packing keeps every member exactly (the revision is kept beside the bytes).
    @Test(arguments: [
        // Every member set.
        everything(),
        // A new state: no optional member at all.
        RuleState(tierSignature: ""),
        // An ended episode without its last event, negative and large numbers.
        { var s = RuleState(tierSignature: "below:low=-5"); s.episode = Int.max; s.notices = -1; s.notifiedTiers = [-3, 1 << 40]
          s.lastEventAt = Date(timeIntervalSince1970: -12.5); return s }(),
        // An event without id, timestamp, type, name, relations or labels.
        { var s = RuleState(tierSignature: "x"); s.tier = 0
          s.lastEvent = MetricEvent(metric: "m", value: 0, subject: .init(id: "s")); return s }(),
    ])
    func packingIsExact(state: RuleState) throws {
        var unpacked = try #require(RuleState(packed: state.packed()))
        unpacked.revision = state.revision
        #expect(unpacked == state)
    }

    /// Truncated or garbled bytes are refused, never read as some other state.
    @Test func badPackedBytesAreRefused() {
        let bytes = Self.everything().packed()
        for length in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect(RuleState(packed: Array(bytes.prefix(length))) == nil, "\(length) of \(bytes.count) bytes")
        }
        #expect(RuleState(packed: bytes + [0]) == nil, "a byte too many")
    }

    /// A state kept as its stored JSON reads, on first use, as the state the eager
    /// reader (`RuleState(storedJSON:)`) gives, with the row's revision; writing it back
    /// packs it, and the two forms compare by what they hold.
    @Test func aStoredStateDecodedOnFirstUseEqualsTheEagerlyDecodedOne() throws {
        let json = Self.everything().storedData()
        var eager = try #require(RuleState(storedJSON: json))
        eager.revision = 5
        var lazy = RuleStates()
        lazy.insertStored(json, revision: 5, escalationDueAt: eager.escalationDueAt, for: Self.key)
        #expect(lazy[Self.key] == eager)
        #expect(lazy.revision(of: Self.key) == 5)
        #expect(lazy.storedKeys == [Self.key])
        #expect(lazy == RuleStates([Self.key: eager]), "stored and packed forms of one state are equal")
        #expect(lazy.settle([Self.key]).isEmpty)
        #expect(lazy.storedKeys.isEmpty)
        #expect(lazy[Self.key] == eager)
    }

    /// A state stored before the one-pass reader knew every shape (here: pretty-printed
    /// by `JSONEncoder`, keys in its order) still reads, through `JSONDecoder`.
    @Test func olderStoredShapesStillRead() throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.prettyPrinted]
        var expected = Self.everything()
        expected.revision = 0
        let json = try encoder.encode(expected)
        var states = RuleStates()
        states.insertStored(json, revision: 0, escalationDueAt: nil, for: Self.key)
        let read = try #require(states[Self.key])
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        #expect(read == (try decoder.decode(RuleState.self, from: json)))
    }

    /// An unreadable stored state reads as a new state at its row's revision (its next
    /// write replaces the row) and is reported by `settle`, once.
    @Test func anUnreadableStoredStateReadsAsANewOneAndIsReported() throws {
        var states = RuleStates()
        states.insertStored(Data("{\"episode\": \"three\"}".utf8), revision: 9, escalationDueAt: Date(timeIntervalSince1970: 5), for: Self.key)
        let read = try #require(states[Self.key])
        #expect(read.tier == nil && read.episode == 0 && read.revision == 9 && read.escalationDueAt == nil)
        #expect(states.settle([Self.key]) == [Self.key])
        #expect(states.settle([Self.key]).isEmpty)
        #expect(states.nextEscalationDue == nil, "the row's timer went with the state")
        #expect(states.revision(of: Self.key) == 9)
    }

    /// Revisions and timers are read and set without decoding, and match the state.
    @Test func revisionsAndTimersWithoutDecoding() {
        var states = RuleStates([Self.key: Self.everything()])
        #expect(states.revision(of: Self.key) == 12)
        states.setRevision(13, of: Self.key)
        #expect(states[Self.key]?.revision == 13)
        #expect(states.escalationDue(of: Self.key) == Self.everything().escalationDueAt)
        #expect(states.nextEscalationDue == Self.everything().escalationDueAt)
        #expect(states.keys(dueAt: Date(timeIntervalSince1970: 1_790_000_900)).isEmpty)
        #expect(states.keys(dueAt: Date(timeIntervalSince1970: 1_790_000_901)) == [Self.key])
        states[Self.key] = nil
        #expect(states.isEmpty && states.nextEscalationDue == nil)
    }

    /// Issue 8's example after a restart that kept every state as its stored row: the
    /// timer fires from the row's `due_at_ms` at the same time and to the same people as
    /// with the state decoded at load, and the chain carries on identically.
    @Test func timersOfUndecodedStatesFire() throws {
        let (evaluator, state, _) = try EscalationExampleTests.atThirtyPercent()
        let stored = try #require(state.rules[Self.key])
        var lazy = RuleStates()
        lazy.insertStored(stored.storedData(), revision: 3, escalationDueAt: stored.escalationDueAt, for: Self.key)
        var undecoded = EvaluationState(rules: lazy)
        var eager = EvaluationState(rules: [Self.key: try #require(RuleState(storedJSON: stored.storedData()))])
        eager.rules.setRevision(3, of: Self.key)
        #expect(undecoded.nextEscalationDue == EscalationExampleTests.at("11:15:00"))
        var fired: [[String]] = []
        for minute in [14, 15, 29, 30, 45, 60] {
            let now = EscalationExampleTests.at("11:00:00").addingTimeInterval(Double(minute) * 60)
            let a = evaluator.tick(state: &undecoded, now: now)
            let b = evaluator.tick(state: &eager, now: now)
            #expect(a == b, "minute \(minute)")
            fired += a.notifications.map { $0.recipients.map(\.id) }
        }
        #expect(fired == [["u-olivia"], ["u-olivia"], ["u-olivia"]])
        #expect(undecoded == eager)
    }

    /// Idle states are found without decoding once packed, and also while still stored.
    @Test func idleStatesAreDroppedWhateverTheirForm() throws {
        var idle = RuleState(tierSignature: "s")
        idle.lastEventAt = Date(timeIntervalSince1970: 100)
        var busy = idle
        busy.tier = 0
        var states = RuleStates([RuleStateKey(ruleID: "r", subjectID: "packed-idle"): idle,
                                 RuleStateKey(ruleID: "r", subjectID: "packed-busy"): busy])
        states.insertStored(idle.storedData(), revision: 1, escalationDueAt: nil, for: RuleStateKey(ruleID: "r", subjectID: "stored-idle"))
        states.insertStored(busy.storedData(), revision: 1, escalationDueAt: nil, for: RuleStateKey(ruleID: "r", subjectID: "stored-busy"))
        #expect(states.removeIdle(lastEventBefore: Date(timeIntervalSince1970: 100)).isEmpty, "not before the cutoff")
        #expect(states.removeIdle(lastEventBefore: Date(timeIntervalSince1970: 101)).map(\.subjectID) == ["packed-idle", "stored-idle"])
        #expect(states.keys.map(\.subjectID).sorted() == ["packed-busy", "stored-busy"])
    }
}
