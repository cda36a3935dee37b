import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Silences match notifications by rule, subject id, subject type and labels, inside
/// their time window.
@Suite struct SilenceTests {
    static let timeline = Timeline()

    /// A notice for rule r, subject p-1 (participant) with labels region=north, team=a.
    static func notice() throws -> HeraldNotification {
        let config = try EscalationConfig.load()
        let event = TestEvent.make(value: 12, subject: "p-1", at: timeline.at(minutes: 0), labels: ["region": "north", "team": "a"])
        var state = EvaluationState()
        return try #require(Evaluator(config: config).evaluate(event, state: &state, now: timeline.at(minutes: 0)).notifications.first)
    }

    static func silence(_ matcher: Silence.Matcher, from: Double = -10, to: Double = 60, id: String = "s-1") -> Silence {
        Silence(id: id, matcher: matcher, startsAt: timeline.at(minutes: from), endsAt: timeline.at(minutes: to),
                author: "ops", comment: "maintenance")
    }

    struct MatchCase: Sendable, CustomTestStringConvertible {
        let name: String
        let matcher: Silence.Matcher
        let matches: Bool
        var testDescription: String { name }
    }

    @Test(arguments: [
        MatchCase(name: "rule", matcher: .init(ruleID: "r"), matches: true),
        MatchCase(name: "other rule", matcher: .init(ruleID: "other"), matches: false),
        MatchCase(name: "subject id", matcher: .init(subjectID: "p-1"), matches: true),
        MatchCase(name: "other subject", matcher: .init(subjectID: "p-2"), matches: false),
        MatchCase(name: "subject type", matcher: .init(subjectType: "participant"), matches: true),
        MatchCase(name: "other subject type", matcher: .init(subjectType: "site"), matches: false),
        // Labels match when every label of the matcher is on the event; the event may have more.
        MatchCase(name: "one label", matcher: .init(labels: ["region": "north"]), matches: true),
        MatchCase(name: "all labels", matcher: .init(labels: ["region": "north", "team": "a"]), matches: true),
        MatchCase(name: "label with another value", matcher: .init(labels: ["region": "south"]), matches: false),
        MatchCase(name: "label the event lacks", matcher: .init(labels: ["region": "north", "env": "prod"]), matches: false),
        // Every field given must match.
        MatchCase(name: "rule and subject", matcher: .init(ruleID: "r", subjectID: "p-1"), matches: true),
        MatchCase(name: "rule but not subject", matcher: .init(ruleID: "r", subjectID: "p-2"), matches: false),
    ])
    func matchesByEachField(_ testCase: MatchCase) throws {
        let notice = try Self.notice()
        #expect(Self.silence(testCase.matcher).matches(notice, at: Self.timeline.at(minutes: 0)) == testCase.matches)
    }

    /// Active from `startsAt` inclusive to `endsAt` exclusive.
    @Test(arguments: [(-10.0, true), (-10.01, false), (59.99, true), (60.0, false)])
    func timeWindow(_ minute: Double, _ active: Bool) throws {
        let silence = Self.silence(.init(ruleID: "r"), from: -10, to: 60)
        #expect(silence.matches(try Self.notice(), at: Self.timeline.at(minutes: minute)) == active)
        #expect(silence.hasExpired(at: Self.timeline.at(minutes: minute)) == (minute >= 60))
    }

    @Test func setFindsTheFirstMatchingActiveSilence() throws {
        let notice = try Self.notice()
        let set: SilenceSet = [
            Self.silence(.init(ruleID: "other"), id: "a"),
            Self.silence(.init(subjectID: "p-1"), from: 30, to: 90, id: "b"),
            Self.silence(.init(labels: ["team": "a"]), id: "c"),
            Self.silence(.init(ruleID: "r"), id: "d"),
        ]
        #expect(set.first(matching: notice, at: Self.timeline.at(minutes: 0))?.id == "c")
        #expect(set.first(matching: notice, at: Self.timeline.at(minutes: 45))?.id == "b")
        #expect(set.first(matching: notice, at: Self.timeline.at(minutes: 80))?.id == "b")
        #expect(set.first(matching: notice, at: Self.timeline.at(minutes: 95)) == nil)
        #expect(set.unexpired(at: Self.timeline.at(minutes: 70)).silences.map(\.id) == ["b"])
    }

    @Test(arguments: [
        (Silence(id: "", matcher: .init(ruleID: "r"), startsAt: Timeline().at(minutes: 0), endsAt: Timeline().at(minutes: 1), author: "a", comment: "c"), "empty_id"),
        (Silence(id: "s", matcher: .init(), startsAt: Timeline().at(minutes: 0), endsAt: Timeline().at(minutes: 1), author: "a", comment: "c"), "empty_matcher"),
        (Silence(id: "s", matcher: .init(ruleID: "r"), startsAt: Timeline().at(minutes: 1), endsAt: Timeline().at(minutes: 1), author: "a", comment: "c"), "ends_before_start"),
        (Silence(id: "s", matcher: .init(ruleID: "r"), startsAt: Timeline().at(minutes: 0), endsAt: Timeline().at(minutes: 1), author: "", comment: "c"), "empty_author"),
        (Silence(id: "s", matcher: .init(ruleID: "r"), startsAt: Timeline().at(minutes: 0), endsAt: Timeline().at(minutes: 1), author: "a", comment: ""), "empty_comment"),
    ])
    func validationRefuses(_ silence: Silence, _ code: String) {
        #expect(silence.validate()?.code == code)
    }

    @Test func validSilenceRoundTripsThroughJSON() throws {
        let silence = Self.silence(.init(ruleID: "r", labels: ["team": "a"]))
        #expect(silence.validate() == nil)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(Silence.self, from: encoder.encode(silence)) == silence)
        // Labels may be left out.
        let written = #"{"id": "s", "matcher": {"ruleID": "r"}, "startsAt": "2027-01-15T08:00:00Z", "endsAt": "2027-01-15T09:00:00Z", "author": "a", "comment": "c"}"#
        #expect(try decoder.decode(Silence.self, from: Data(written.utf8)).matcher == Silence.Matcher(ruleID: "r"))
    }
}

/// #17 item 9: silence ids come from a documented safe alphabet.
struct SilenceIDTests {
    @Test(arguments: [("team-a", true), ("sil-0a1b2c3d4e5f", true), ("ops:db.01_x", true), ("team/a", false), ("\u{301}a", false),
                      ("a b", false), ("-lead", false), ("100%", false), (String(repeating: "a", count: 129), false), ("é", false)])
    func idsUseTheSafeAlphabet(_ id: String, _ safe: Bool) {
        #expect(Silence.isSafeID(id) == safe)
    }
}
