/// What a tier does when nobody acknowledges its episode: a chain of timed steps, each
/// telling more people, optionally run again from the first step.
///
/// Each step's `after` counts from the previous step (the first from when the episode
/// reached the tier), so `[15m → admins, 30m → owner]` tells the admins 15 minutes in
/// and the owner 45 minutes in.
public struct EscalationChain: Sendable, Equatable {
    /// Who one step tells.
    public enum Audience: Sendable, Equatable, CustomStringConvertible {
        /// Explicit selectors, resolved like a tier's (with the rule's required rights).
        case selectors([RecipientSelector])
        /// The audience of another tier of the same rule, by name.
        case tier(String)

        public var description: String {
            switch self {
            case .selectors(let selectors): selectors.map(\.description).joined(separator: ", ")
            case .tier(let name): "tier '\(name)'"
            }
        }
    }

    /// One timed step.
    public struct Step: Sendable, Equatable {
        public let after: Duration
        public let audience: Audience

        public init(after: Duration, audience: Audience) {
            self.after = after
            self.audience = audience
        }
    }

    /// Most steps in one chain: a chain longer than this is a paging tree, not an
    /// escalation, and every step is a durable timer per episode.
    public static let maxSteps = 20
    /// Most repeats of a chain: bounds the timers one unacknowledged episode can fire
    /// (and what `explain` projects) to `maxSteps × (maxRepeat + 1)`.
    public static let maxRepeat = 100

    public let steps: [Step]
    /// How many more times the whole chain runs after its last step (0: once).
    public let repeatCount: Int

    public init(steps: [Step], repeatCount: Int = 0) {
        precondition(!steps.isEmpty, "an escalation chain needs at least one step")
        self.steps = steps
        self.repeatCount = repeatCount
    }

    /// Every step firing the chain can make, repeats included.
    public var totalFirings: Int { steps.count * (repeatCount + 1) }

    /// The step that fires as firing number `firing` (0-based, counting repeats), or
    /// nil once the chain is exhausted.
    public func step(_ firing: Int) -> Step? {
        guard firing >= 0, firing < totalFirings else { return nil }
        return steps[firing % steps.count]
    }
}
