import Foundation
import HeraldCore

/// The evaluator driven by fuzz bytes: a script of events (subject, metric, value,
/// timestamp step, idempotency key), clock steps and reloads between config layouts,
/// run through `Evaluator.evaluate` with invariants checked after every step.
///
/// Invariants (each a promise the daemon relies on):
/// - tiers in (migrated) state and in notifications exist in the rule that produced them;
/// - a notification id is never reused for a different notice (ids become
///   `webhook-id`s that receivers de-duplicate on: a reused id is a lost notice);
///   the same notice evaluated again (same transition, tier and instant) may repeat it;
/// - a duplicate event id within the window changes no state and notifies nobody;
/// - an out-of-order event changes no state and notifies nobody;
/// - `firing` only starts an episode, `resolved` only ends one;
/// - no recipient appears twice in one notification;
/// - the in-place and functional forms of `evaluate` agree;
/// - state survives the Codable round trip the store depends on.
enum EvaluatorFuzzing {
    /// Longest script run per input: keeps one input's run time bounded.
    static let maxSteps = 256
    /// The clock starts here; a fixed point keeps replays deterministic.
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Configs compiled once: the same rules in three layouts (as a reload storm would
    /// switch between), plus a layout that drops a rule and one that changes tiers.
    static let layouts: [Evaluator] = EvaluatorFuzzConfigs.all.map { text in
        do {
            return Evaluator(config: try ConfigLoader.load(Data(text.utf8)))
        } catch {
            preconditionFailure("fuzz config does not load: \(error)")
        }
    }

    static func run(_ data: Data) {
        var bytes = ByteReader(data)
        var layout = 0
        var state = EvaluationState()
        var now = start
        var eventTime = start
        var latestEventTime = start
        var timeFloor = start.addingTimeInterval(-86_400 * 365)
        var seenIDs: [String: HeraldCore.Notification] = [:]
        var steps = 0
        while !bytes.isAtEnd, steps < maxSteps {
            steps += 1
            let op = bytes.next()
            switch op % 8 {
            case 0:
                layout = Int(bytes.next()) % layouts.count
                let evaluator = layouts[layout]
                if !state.dropRules(notIn: Set(evaluator.config.rules.map(\.id))).isEmpty {
                    // Known limit (docs/reliability.md): a rule removed and added back starts
                    // its episodes from 1 again, so an episode starting at the very same
                    // millisecond as an earlier one shares its id prefix. Events after a
                    // drop therefore never go back to a time already seen.
                    timeFloor = latestEventTime.addingTimeInterval(1)
                    now = max(now, timeFloor)
                }
            case 1:
                now = now.addingTimeInterval(Double(bytes.next()) * 60)
                state.pruneSeenEvents(before: now.addingTimeInterval(-layouts[layout].config.server.idempotencyWindow.seconds))
            default:
                let event = makeEvent(&bytes, eventTime: &eventTime, floor: timeFloor)
                latestEventTime = max(latestEventTime, event.timestamp ?? now)
                step(layouts[layout], event, &state, now: now, seen: &seenIDs)
            }
        }
        checkRoundTrip(state)
    }

    /// Reads one event from the script. Values come from a small palette around the
    /// thresholds (so tiers change often) or, rarely, extremes the decoder still allows.
    static func makeEvent(_ bytes: inout ByteReader, eventTime: inout Date, floor: Date) -> MetricEvent {
        let shape = bytes.next()
        let subject = "p-\(shape % 3)"
        let metric = shape & 0x08 == 0 ? "load" : "stock"
        let palette: [Double] = [-40, -25, -12, -5, 0, 4.5, 5, 9.5, 10, 11, 19, 20, 21, 29.5, 30, 31, 50, 100,
                                 1e308, -1e308, .leastNonzeroMagnitude, 0.1 + 0.2]
        let pick = Int(bytes.next())
        let value = pick < 240 ? palette[pick % palette.count] : Double(Int8(bitPattern: bytes.next())) / 2
        let step = Double(Int8(bitPattern: bytes.next()))
        eventTime = max(floor, eventTime.addingTimeInterval(step * 30))
        let timestamp: Date? = shape & 0x10 == 0 ? eventTime : nil
        let idByte = bytes.next()
        let id: String? = idByte & 0x80 == 0 ? nil : "e-\(idByte & 0x0f)"
        let relations = shape & 0x20 == 0 ? ["primary_coordinator": "u-\(shape % 5)"] : [:]
        let labels = shape & 0x40 == 0 ? ["site": "north"] : ["site": "south"]
        return MetricEvent(id: id, metric: metric, value: value, subject: .init(id: subject, type: "participant"),
                           timestamp: timestamp, relations: relations, labels: labels)
    }

    static func step(_ evaluator: Evaluator, _ event: MetricEvent, _ state: inout EvaluationState, now: Date,
                     seen: inout [String: HeraldCore.Notification]) {
        let before = state
        let (functional, functionalOutcome) = evaluator.evaluate(event, state: before, now: now)
        let outcome = evaluator.evaluate(event, state: &state, now: now)
        precondition(functional == state && functionalOutcome == outcome, "in-place and functional evaluate disagree")
        if outcome.duplicate {
            precondition(outcome.rules.isEmpty, "a duplicate event reached rules")
            precondition(before.rules == state.rules, "a duplicate event changed rule state")
            return
        }
        for rule in outcome.rules { check(rule, evaluator: evaluator, before: before, after: state, seen: &seen) }
    }

    static func check(_ outcome: RuleOutcome, evaluator: Evaluator, before: EvaluationState, after: EvaluationState,
                      seen: inout [String: HeraldCore.Notification]) {
        guard let rule = evaluator.config.rules.first(where: { $0.id == outcome.ruleID }) else {
            preconditionFailure("outcome for unknown rule \(outcome.ruleID)")
        }
        let key = RuleStateKey(ruleID: outcome.ruleID, subjectID: outcome.subjectID)
        // A state written under another tier layout is migrated by the next in-order
        // event (an out-of-order one leaves it untouched); once migrated it must fit.
        if let state = after.rules[key], let tier = state.tier, state.tierSignature == rule.tierSignature {
            precondition(tier >= 0 && tier < rule.tiers.count, "state tier \(tier) out of range")
        }
        if outcome.status == .outOfOrder {
            precondition(outcome.notifications.isEmpty, "an out-of-order event notified")
            precondition(before.rules[key] == after.rules[key], "an out-of-order event changed state")
        }
        for notification in outcome.notifications {
            precondition(notification.tier.index >= 0 && notification.tier.index < rule.tiers.count, "notified tier out of range")
            precondition(Set(notification.recipients.map(\.id)).count == notification.recipients.count, "recipient listed twice")
            switch notification.transition {
            case .firing: precondition(before.rules[key]?.tier == nil, "firing while already in a tier")
            case .resolved: precondition(after.rules[key]?.tier == nil, "resolved while still in a tier")
            default: break
            }
            if let earlier = seen[notification.id] {
                // The same id is right only for the same notice seen again: an event at the
                // same instant re-evaluated after its rule's state was dropped and restored.
                precondition(earlier.transition == notification.transition && earlier.tier == notification.tier
                             && earlier.occurredAt == notification.occurredAt,
                             "notification id \(notification.id) reused for a different notice: " +
                             "\(earlier.transition) at \(earlier.occurredAt) then \(notification.transition) at \(notification.occurredAt)")
            }
            seen[notification.id] = notification
        }
    }

    static func checkRoundTrip(_ state: EvaluationState) {
        guard let data = try? JSONEncoder().encode(state) else { preconditionFailure("state does not encode") }
        let decoded = try? JSONDecoder().decode(EvaluationState.self, from: data)
        precondition(decoded == state, "state does not survive a JSON round trip")
    }
}

/// Reads fuzz bytes one at a time; past the end it yields zeros, so every input is a
/// complete script.
struct ByteReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func next() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }
}
