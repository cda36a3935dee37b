import Foundation
import HeraldTestKit

/// The chaos test's config and the shape of its load (issue #20's done-when).
enum ChaosKit {
    static let writerToken = "chaos-writer-token-3f9a"
    static let ackToken = "chaos-ack-token-81c2"
    static let secret = DeliveryKit.secret
    static let rule = "load"
    static let metric = "load"

    /// Escalation steps fire this long after a tier is reached (and again after the
    /// first step, on the critical tier): short, so many timers fall due during the run.
    static let stepAfter: TimeInterval = 2
    /// The receiver answers after this many milliseconds, so sends are in flight (held
    /// by an instance) when one is paused or killed.
    static let receiverDelayMs = 100

    /// One rule, three tiers; every tier change notifies (`notifyDeescalated`,
    /// `notifyResolved`, `notifyAcknowledged`), which is what makes a sequential replay
    /// exact (see `EpisodeReplay`). `high` escalates to the owner after `stepAfter`;
    /// `critical` to the owner, then to `u-step`.
    static func config(receiver: PythonReceiver, leaseSeconds: Int) -> String {
        let after = "\(Int(stepAfter))s"
        return """
            {
              "users": [
                {"id": "owner", "name": "Olive Owner", "owner": true},
                {"id": "u-warn", "name": "Wendy Warn"},
                {"id": "u-high", "name": "Hugo High"},
                {"id": "u-crit", "name": "Cara Crit"},
                {"id": "u-step", "name": "Stefan Step"}
              ],
              "targets": [{"id": "ops", "url": "\(receiver.url("/slow").absoluteString)?ms=\(receiverDelayMs)", "mode": "batch",
                           "secrets": [{"env": "HERALD_WEBHOOK_SECRET"}],
                           "retrySchedule": ["0s", "200ms", "500ms", "1s"], "maxAttempts": 100}],
              "rules": [{
                "id": "\(rule)", "name": "Load", "metric": "\(metric)",
                "notifyResolved": true, "notifyDeescalated": true, "notifyAcknowledged": true,
                "tiers": [
                  {"name": "warn", "threshold": 10, "notify": [{"user": "u-warn"}]},
                  {"name": "high", "threshold": 20, "notify": [{"user": "u-high"}],
                   "escalation": {"steps": [{"after": "\(after)", "notify": [{"owner": true}]}]}},
                  {"name": "critical", "threshold": 30, "notify": [{"user": "u-crit"}],
                   "escalation": {"steps": [{"after": "\(after)", "notify": [{"owner": true}]},
                                            {"after": "\(after)", "notify": [{"user": "u-step"}]}]}}
                ]
              }],
              "server": {"tokens": [
                {"id": "writer", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]},
                {"id": "acker", "env": "HERALD_ACK_TOKEN", "scopes": ["ack", "read"]}
              ]},
              "store": {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}, "connections": 4, "leaseSeconds": \(leaseSeconds)}}
            }
            """
    }

    static func environment(databaseURL: String) -> [String: String] {
        ["HERALD_TOKEN": writerToken, "HERALD_ACK_TOKEN": ackToken, "HERALD_WEBHOOK_SECRET": secret,
         "HERALD_DATABASE_URL": databaseURL]
    }

    /// One step of a subject's plan: post a value, and maybe acknowledge the episode
    /// that value leaves running (as the tier's person, told at that tier), or resolve it
    /// by hand (as an operator: the writer token has `admin`).
    struct Step {
        let value: Double
        var acknowledgeAs: String?
        var resolveByHand = false
    }

    /// Values well inside each tier (thresholds 10, 20, 30; no hysteresis).
    static let quiet = 5.0, warn = 15.0, high = 25.0, critical = 35.0

    /// Episode shapes. None climbs back to a tier it told after falling (a silent re-arm
    /// would make the replay's placement of timers ambiguous, see `EpisodeReplay`); each
    /// holds its top tier long enough (steps of ~0.4 s) for timers to fall due.
    static let shapes: [[Step]] = [
        [Step(value: warn), Step(value: warn), Step(value: warn), Step(value: quiet)],
        [Step(value: high), Step(value: high), Step(value: high), Step(value: high), Step(value: high), Step(value: high),
         Step(value: quiet)],
        [Step(value: warn), Step(value: high), Step(value: critical), Step(value: critical), Step(value: critical),
         Step(value: critical), Step(value: critical), Step(value: critical), Step(value: warn), Step(value: warn), Step(value: quiet)],
        // Acknowledged before the first step is due: no step fires.
        [Step(value: critical, acknowledgeAs: "u-crit"), Step(value: critical), Step(value: critical), Step(value: critical),
         Step(value: critical), Step(value: critical), Step(value: quiet)],
        // Acknowledged about when the first step falls due: a race between an ack on one
        // instance and a timer on another; either order is fine, both is not.
        [Step(value: high), Step(value: high), Step(value: high), Step(value: high, acknowledgeAs: "u-high"), Step(value: high),
         Step(value: high), Step(value: high), Step(value: deescalatedBelowHigh), Step(value: quiet)],
        // Resolved by hand about when the first step falls due (a race with the timer),
        // then a new episode at the same tier, ended by value.
        [Step(value: critical), Step(value: critical), Step(value: critical), Step(value: critical, resolveByHand: true),
         Step(value: critical), Step(value: critical), Step(value: quiet)],
        [Step(value: quiet), Step(value: quiet)],
    ]
    static let deescalatedBelowHigh = warn

    /// Subject `index`'s plan: shapes in an order of its own, repeated.
    static func plan(subject index: Int, steps: Int) -> [Step] {
        var generator = SplitMix(seed: UInt64(index) &+ 0x5EED)
        var plan: [Step] = []
        while plan.count < steps {
            plan += shapes[Int(generator.next() % UInt64(shapes.count))]
        }
        return Array(plan.prefix(steps))
    }

    /// A tiny seeded generator: each subject's plan is the same in every run.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
