import Foundation
import HeraldCore
import HeraldDaemon

/// `herald explain`: what one event — or a sequence — would do, and to whom.
enum ExplainCommand {
    static let usage = """
    usage: herald explain --config FILE --event FILE|- [--bridge alertmanager|grafana]
                          [--state FILE] [--save-state FILE] [--silences FILE]
                          [--now TIMESTAMP] [--json]

    Runs events through the rules without sending anything and shows, for each event,
    which rules matched, the tier reached, the transition (firing, escalated,
    deescalated, resolved, repeated), every recipient with the path that selected them
    and every excluded person with the reason; which silence would suppress a notice,
    whose quiet hours would hold it (until when), and the escalation steps that would
    follow if nobody acknowledged.

    options:
      --config FILE       the config file (JSON)
      --event FILE|-      one event object, or {"events": [...]} for a sequence; - reads stdin
      --bridge NAME       the file is an Alertmanager (alertmanager) or Grafana (grafana)
                          webhook body: shows the events its alerts become with the
                          config's bridge mapping, and the alerts refused, then the routing
      --state FILE        start from this evaluation state (as written by --save-state)
      --save-state FILE   write the state after the last event
      --silences FILE     silences to apply: a JSON array, or {"silences": [...]} as
                          `herald silences list --json` prints; shows which would suppress
      --now TIMESTAMP     RFC 3339 time used for events without a timestamp (default: now)
      --json              print the explanation as JSON
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let args = try Arguments(arguments, options: ["--config", "--event", "--state", "--save-state", "--now", "--silences", "--bridge"],
                                 flags: ["--json"])
        let configPath = try args.required("--config")
        let eventPath = try args.required("--event")
        var now = Date()
        if let text = args.value("--now") {
            guard let parsed = EventDecoder.parseTimestamp(text) else { throw UsageError("--now '\(text)' is not an RFC 3339 timestamp") }
            now = parsed
        }
        var bridge: BridgeKind?
        if let name = args.value("--bridge") {
            guard let kind = BridgeKind(rawValue: name) else {
                throw UsageError("--bridge '\(name)' is not a bridge; use \(BridgeKind.allCases.map(\.rawValue).joined(separator: " or "))")
            }
            bridge = kind
        }
        guard let config = loadConfig(configPath),
              let events = bridge.map({ BridgeExplain.events($0, eventPath, config: config, json: args.has("--json")) }) ?? loadEvents(eventPath, config: config),
              let state = loadState(args.value("--state")), let silences = loadSilences(args.value("--silences"), now: now) else {
            return ExitStatus.invalidInput
        }
        let explanation = Explanation.run(events, config: config, state: state, now: now, silences: silences)
        if args.has("--json") {
            Output.out(String(decoding: ExplanationRenderer.serialize(ExplanationRenderer.json(explanation, config: config)), as: UTF8.self) + "\n")
        } else {
            Output.out(ExplanationRenderer.text(explanation, directory: config.directory, config: config))
        }
        if let savePath = args.value("--save-state") {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                try encoder.encode(explanation.finalState).write(to: URL(fileURLWithPath: savePath))
            } catch {
                Output.err("herald: cannot write state '\(savePath)': \(error.localizedDescription)\n")
                return ExitStatus.invalidInput
            }
        }
        return ExitStatus.success
    }

    private static func loadConfig(_ path: String) -> HeraldConfig? {
        do {
            return try ConfigLoader.load(try Output.read(path), readFiles: DirectoryFileGlob.reader(forConfigAt: path))
        } catch let error as ConfigError {
            for issue in error.issues { Output.err("\(issue.file ?? path):\(issue.position == nil ? " " : "")\(issue.description)\n") }
        } catch {
            Output.err("herald: cannot read config '\(path)': \(error.localizedDescription)\n")
        }
        return nil
    }

    private static func loadEvents(_ path: String, config: HeraldConfig) -> [MetricEvent]? {
        do {
            return try EventDecoder(maxBatch: 100_000).decode(try Output.read(path))
        } catch let error as EventValidationError {
            for problem in error.problems { Output.err("\(path): \(problem.message) at \(problem.path)\n") }
        } catch {
            Output.err("herald: cannot read events '\(path)': \(error.localizedDescription)\n")
        }
        return nil
    }

    private static func loadSilences(_ path: String?, now: Date) -> SilenceSet? {
        guard let path else { return SilenceSet() }
        do {
            switch SilenceTool.load(try Output.read(path), now: now) {
            case .success(let silences): return silences
            case .failure(let failure): Output.err("\(path): \(failure.message)\n")
            }
        } catch {
            Output.err("herald: cannot read silences '\(path)': \(error.localizedDescription)\n")
        }
        return nil
    }

    private static func loadState(_ path: String?) -> EvaluationState? {
        guard let path else { return EvaluationState() }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(EvaluationState.self, from: try Output.read(path))
        } catch {
            Output.err("herald: cannot read state '\(path)': \(error)\n")
            return nil
        }
    }
}
