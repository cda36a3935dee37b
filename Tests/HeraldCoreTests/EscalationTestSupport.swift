import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// Configs and a driver for escalation and acknowledgement tests: the evaluator
/// people (owner, alice, bob, carol, dave, erin inactive) plus ann, who holds
/// `alerts.ack` without being named by any tier.
enum EscalationConfig {
    /// warn (10) tells alice; unacknowledged, bob after 15m, then the critical tier's
    /// audience 30m later, the chain repeated `repeatCount` times. critical (30) tells
    /// dave; unacknowledged, the owner after 10m.
    static func rule(repeatCount: Int = 0, hysteresis: Double = 0, extra: String = "") -> String {
        #"""
        {"id": "r", "metric": "utilisation_variance", "acknowledgeRights": ["alerts.ack"], "hysteresis": \#(hysteresis)\#(extra),
         "tiers": [
           {"name": "warn", "threshold": 10, "notify": [{"user": "alice"}],
            "escalation": {"steps": [{"after": "15m", "notify": [{"user": "bob"}]}, {"after": "30m", "tier": "critical"}], "repeat": \#(repeatCount)}},
           {"name": "critical", "threshold": 30, "notify": [{"user": "dave"}],
            "escalation": {"steps": [{"after": "10m", "notify": [{"owner": true}]}]}}]}
        """#
    }

    static func json(rules: [String]) -> String {
        let people = EvaluatorConfig.people.map { id in
            #"{"id": "\#(id)", "name": "\#(id.capitalized)"\#(id == "erin" ? #", "active": false"# : "")}"#
        }
        return """
        {"roles": [{"id": "staff", "additionalRights": ["alerts.ack"]}], "defaultRole": "staff",
         "users": [{"id": "owner", "name": "Owner", "owner": true}, \(people.joined(separator: ", ")),
                   {"id": "ann", "name": "Ann", "rights": {"grant": ["alerts.ack"]}}],
         "rules": [\(rules.joined(separator: ",\n"))]}
        """
    }

    static func load(repeatCount: Int = 0, hysteresis: Double = 0, extra: String = "") throws -> HeraldConfig {
        try TestConfig.load(json(rules: [rule(repeatCount: repeatCount, hysteresis: hysteresis, extra: extra)]))
    }
}

extension EvaluatorDriver {
    /// Runs the escalation timers at `minute`.
    @discardableResult
    mutating func tick(at minute: Double) -> TickOutcome {
        evaluator.tick(state: &state, now: timeline.at(minutes: minute))
    }

    /// The current episode id of (r, p-1).
    var episodeID: String {
        let key = RuleStateKey(ruleID: "r", subjectID: "p-1")
        return state.rules[key]!.episodeID(for: key)
    }

    mutating func acknowledge(_ actor: EpisodeActor, at minute: Double, episode: String? = nil) -> Result<EpisodeActionOutcome, AckError> {
        evaluator.acknowledge(episodeID: episode ?? episodeID, by: actor, state: &state, now: timeline.at(minutes: minute))
    }

    mutating func unacknowledge(_ actor: EpisodeActor, at minute: Double) -> Result<EpisodeActionOutcome, AckError> {
        evaluator.unacknowledge(episodeID: episodeID, by: actor, state: &state, now: timeline.at(minutes: minute))
    }

    mutating func resolve(_ actor: EpisodeActor, at minute: Double, episode: String? = nil) -> Result<EpisodeActionOutcome, AckError> {
        evaluator.resolve(episodeID: episode ?? episodeID, by: actor, state: &state, now: timeline.at(minutes: minute))
    }

    /// Ticks every `step` minutes through `minutes` and returns each firing as
    /// (minute, notice).
    mutating func tickEvery(_ step: Double, through minutes: ClosedRange<Double>) -> [Firing] {
        var firings: [Firing] = []
        var minute = minutes.lowerBound
        while minute <= minutes.upperBound {
            firings += tick(at: minute).notifications.map { Firing(minute: minute, notice: Notice($0)) }
            minute += step
        }
        return firings
    }

    /// Minutes on the timeline of a date.
    func minute(of date: Date?) -> Double? { date.map { $0.timeIntervalSince(timeline.start) / 60 } }
}

/// A timeout notice and the minute it fired.
struct Firing: Equatable, CustomStringConvertible, Sendable {
    let minute: Double
    let notice: Notice

    init(minute: Double, notice: Notice) {
        self.minute = minute
        self.notice = notice
    }

    init(_ minute: Double, _ recipients: [String], tier: Int = 0) {
        self.init(minute: minute, notice: Notice(.escalated, tier, recipients))
    }

    var description: String { "\(minute): \(notice)" }
}

extension Result {
    /// The success value, or nil (for `#require`).
    var value: Success? { if case .success(let v) = self { v } else { nil } }
    /// The failure, or nil.
    var failure: Failure? { if case .failure(let e) = self { e } else { nil } }
}
