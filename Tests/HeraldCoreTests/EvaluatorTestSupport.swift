import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// HeraldCore's notice type; plain `Notification` is ambiguous next to Foundation's.
typealias HeraldNotification = HeraldCore.Notification

/// One tier of a rule written for a test: name, threshold and the user ids it notifies.
struct TierSpec: Sendable {
    let name: String
    let threshold: Double
    let users: [String]
}

/// A rule written for a test, rendered to config JSON so it goes through the real decoder.
struct RuleSpec: Sendable {
    var id = "r"
    var metric = "utilisation_variance"
    var direction: Direction = .above
    var tiers: [TierSpec]
    var cumulative = false
    var hysteresis: Double = 0
    var repeatAfter: String?
    var notifyResolved = true
    var notifyDeescalated = false

    var json: String {
        let tierJSON = tiers.map { tier in
            let notify = tier.users.map { #"{"user": "\#($0)"}"# }.joined(separator: ", ")
            return #"{"name": "\#(tier.name)", "threshold": \#(tier.threshold), "notify": [\#(notify)]}"#
        }.joined(separator: ",\n      ")
        var options = [
            #""direction": "\#(direction.rawValue)""#,
            #""cumulative": \#(cumulative)"#,
            #""hysteresis": \#(hysteresis)"#,
            #""notifyResolved": \#(notifyResolved)"#,
            #""notifyDeescalated": \#(notifyDeescalated)"#,
        ]
        if let repeatAfter { options.append(#""repeatAfter": "\#(repeatAfter)""#) }
        return #"{"id": "\#(id)", "metric": "\#(metric)", \#(options.joined(separator: ", ")),"#
            + "\n     \"tiers\": [\n      \(tierJSON)]}"
    }
}

/// Small configs for evaluator tests: a fixed directory of five people (erin is
/// inactive) plus the rules a test needs.
enum EvaluatorConfig {
    /// Everyone a test rule may name, in directory order.
    static let people = ["alice", "bob", "carol", "dave", "erin"]

    /// The three tiers most tests use, per direction (lower thresholds are more
    /// severe for `below`). Audiences overlap on bob so cumulative de-duplication shows.
    static func threeTiers(_ direction: Direction) -> [TierSpec] {
        let thresholds: [Double] = direction == .below ? [50, 30, 10] : [10, 20, 30]
        return [
            TierSpec(name: "warn", threshold: thresholds[0], users: ["alice", "bob"]),
            TierSpec(name: "high", threshold: thresholds[1], users: ["bob", "carol"]),
            TierSpec(name: "critical", threshold: thresholds[2], users: ["dave"]),
        ]
    }

    static func json(_ rules: [RuleSpec], idempotencyWindow: String? = nil, extraUsers: [String] = []) -> String {
        var users = [#"{"id": "owner", "name": "Owner", "owner": true}"#]
        users += people.map { id in
            #"{"id": "\#(id)", "name": "\#(id.capitalized)"\#(id == "erin" ? #", "active": false"# : "")}"#
        }
        users += extraUsers.map { #"{"id": "\#($0)", "name": "\#($0.capitalized)"}"# }
        let server = idempotencyWindow.map { #", "server": {"idempotencyWindow": "\#($0)"}"# } ?? ""
        return """
        {"users": [\(users.joined(separator: ",\n  "))],
         "rules": [\(rules.map(\.json).joined(separator: ",\n  "))]\(server)}
        """
    }

    static func load(_ rules: [RuleSpec], idempotencyWindow: String? = nil, extraUsers: [String] = []) throws -> HeraldConfig {
        try TestConfig.load(json(rules, idempotencyWindow: idempotencyWindow, extraUsers: extraUsers))
    }
}

/// A notice reduced to what the transition tables compare: transition, tier index and
/// recipient ids in order.
struct Notice: Sendable, Equatable, CustomStringConvertible {
    let transition: Transition
    let tier: Int
    let recipients: [String]

    init(_ transition: Transition, _ tier: Int, _ recipients: [String]) {
        self.transition = transition
        self.tier = tier
        self.recipients = recipients
    }

    init(_ notification: HeraldNotification) {
        self.init(notification.transition, notification.tier.index, notification.recipients.map(\.id))
    }

    var description: String { "\(transition.rawValue) t\(tier) → \(recipients)" }
}

/// Drives one evaluator through a timeline of events, keeping the state between calls.
struct EvaluatorDriver {
    var evaluator: Evaluator
    var state = EvaluationState()
    let timeline = Timeline()

    init(_ config: HeraldConfig, state: EvaluationState = EvaluationState()) {
        evaluator = Evaluator(config: config)
        self.state = state
    }

    /// Evaluates a value timestamped (and received) at `minute` on the timeline.
    @discardableResult
    mutating func send(_ value: Double, at minute: Double, subject: String = "p-1", id: String? = nil,
                       metric: String = "utilisation_variance", receivedAt: Double? = nil) -> EventOutcome {
        let event = TestEvent.make(metric, value: value, subject: subject, at: timeline.at(minutes: minute), id: id)
        return evaluator.evaluate(event, state: &state, now: timeline.at(minutes: receivedAt ?? minute))
    }

    /// Evaluates an event as given, received at `minute`.
    @discardableResult
    mutating func send(_ event: MetricEvent, receivedAt minute: Double) -> EventOutcome {
        evaluator.evaluate(event, state: &state, now: timeline.at(minutes: minute))
    }

    /// Swaps in a reloaded config, keeping the state (as the daemon does on SIGHUP).
    mutating func reload(_ config: HeraldConfig) {
        evaluator = Evaluator(config: config)
    }

    func ruleState(_ rule: String = "r", subject: String = "p-1") -> RuleState? {
        state.rules[RuleStateKey(ruleID: rule, subjectID: subject)]
    }
}

extension EventOutcome {
    var notices: [Notice] { notifications.map { Notice($0) } }
}

/// SplitMix64: a tiny, fast, fully deterministic generator so a failing property run can
/// be replayed from the seed printed in its message.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
