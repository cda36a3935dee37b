import Foundation
import HeraldCore

/// The fuzz targets: each takes arbitrary bytes and drives one part of HeraldCore that
/// reads untrusted input. Anything but a clean return or a typed, well-formed error is
/// a bug, so every invariant is a `precondition` (a libFuzzer crash, a test crash).
///
/// This file is compiled twice: into `herald-fuzz` (libFuzzer or replay) and, through a
/// symlink, into HeraldCoreTests, so CI replays the corpus through the very same code.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ConfigLoader.load`: JSON parse, decode, validate, compile, warnings.
    case config
    /// `EventDecoder.decode`: the body of `POST /v1/events`.
    case event
    /// `Evaluator.evaluate` over a byte-driven sequence of events, clock steps and reloads.
    case evaluator
    /// `JSONParser.parse` against Foundation's `JSONSerialization` (JSONFuzzing.swift).
    case json

    /// Runs the target on one input.
    func run(_ data: Data) {
        switch self {
        case .config: ConfigFuzzing.run(data)
        case .event: EventFuzzing.run(data)
        case .evaluator: EvaluatorFuzzing.run(data)
        case .json: JSONFuzzing.run(data)
        }
    }
}

/// Config decoder and validator: every refusal names at least one error with a code and
/// a message; every accepted config is internally consistent.
enum ConfigFuzzing {
    /// Inputs larger than this are skipped: configs are operator-written files, and
    /// libFuzzer's own `-max_len` keeps generated inputs far below it anyway.
    static let maxInputBytes = 1 << 20

    static func run(_ data: Data) {
        guard data.count <= maxInputBytes else { return }
        do {
            let config = try ConfigLoader.load(data)
            checkAccepted(config)
        } catch {
            precondition(!error.issues.isEmpty, "a refused config must name at least one issue")
            precondition(error.issues.contains { $0.severity == .error }, "a refused config must have an error")
            for issue in error.issues {
                precondition(!issue.code.isEmpty && !issue.message.isEmpty, "issue without code or message: \(issue)")
                _ = issue.description
            }
        }
    }

    private static func checkAccepted(_ config: HeraldConfig) {
        _ = config.summary
        for warning in config.warnings { precondition(warning.severity != .error, "an accepted config carries an error") }
        precondition(config.directory.users.filter(\.isOwner).count == 1, "an accepted config has exactly one owner")
        precondition(config.server.maxBatchEvents >= 1, "batch limit must be positive")
        precondition(config.server.idempotencyWindow.seconds.isFinite, "idempotency window must be finite")
        for rule in config.rules {
            precondition(!rule.tiers.isEmpty, "rule '\(rule.id)' accepted without tiers")
            precondition(rule.tiers.allSatisfy { $0.threshold.isFinite }, "rule '\(rule.id)' has a non-finite threshold")
            precondition(rule.hysteresis.isFinite && rule.hysteresis >= 0, "rule '\(rule.id)' has a bad hysteresis")
            _ = rule.repeatAfter?.description
        }
        for target in config.targets {
            precondition(!target.secrets.isEmpty && target.secrets.count <= 2, "target '\(target.id)' has a bad secret count")
            _ = target.timeout.description
            _ = target.retrySchedule.map(\.description)
        }
    }
}

/// Event decoder and validator: a refusal is typed (malformed/invalid/tooMany) with at
/// least one problem; an accepted batch obeys every limit the decoder promises.
enum EventFuzzing {
    /// Same bound as the server's default request body limit (1 MiB).
    static let maxInputBytes = 1 << 20
    /// A fixed "now", so replaying an input always takes the same path.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func run(_ data: Data) {
        guard data.count <= maxInputBytes else { return }
        let decoder = EventDecoder(maxBatch: 100, now: now)
        do {
            let events = try decoder.decode(data)
            precondition(!events.isEmpty && events.count <= decoder.maxBatch, "accepted \(events.count) events")
            for event in events { checkAccepted(event, decoder) }
        } catch {
            precondition(!error.problems.isEmpty, "a refusal must name a problem")
            _ = error.description
        }
    }

    private static func checkAccepted(_ event: MetricEvent, _ decoder: EventDecoder) {
        precondition(event.value.isFinite, "accepted a non-finite value \(event.value)")
        let strings = [event.id, event.metric, event.subject.id, event.subject.type, event.subject.name].compactMap { $0 }
        precondition(strings.allSatisfy { $0.utf8.count <= EventDecoder.maxStringLength }, "accepted an over-long string")
        precondition(event.labels.count <= EventDecoder.maxMapEntries && event.relations.count <= EventDecoder.maxMapEntries,
                     "accepted too many labels or relations")
        if let stamp = event.timestamp, let latest = decoder.latestTimestamp {
            precondition(stamp <= latest, "accepted a timestamp beyond the allowed skew")
        }
        // What the store persists must survive a round trip.
        let encoded = try? JSONEncoder().encode(event)
        precondition(encoded.flatMap { try? JSONDecoder().decode(MetricEvent.self, from: $0) } == event, "event does not round-trip")
    }
}
