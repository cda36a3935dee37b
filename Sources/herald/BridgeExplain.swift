import Foundation
import HeraldCore
import HeraldDaemon

/// `herald explain --bridge`: an Alertmanager or Grafana webhook body through the
/// config's bridge mapping — exactly what `POST /v1/bridges/…` would do with it — before
/// the usual explanation of the events it becomes.
enum BridgeExplain {
    /// The events of the body's alerts, after printing what became of each alert
    /// (to standard error with `--json`, so standard output stays one JSON document).
    /// Nil when the body is not a webhook envelope at all.
    static func events(_ kind: BridgeKind, _ path: String, config: HeraldConfig, json: Bool) -> [MetricEvent]? {
        let batch: BridgeBatch
        do {
            batch = try BridgeIngest.decode(kind, try Output.read(path), config: config, maxAlerts: 100_000, now: nil)
        } catch let error as EventValidationError {
            for problem in error.problems { Output.err("\(path): \(problem.message) at \(problem.path)\n") }
            return nil
        } catch {
            Output.err("herald: cannot read \(kind.rawValue) body '\(path)': \(error.localizedDescription)\n")
            return nil
        }
        let report = summary(batch)
        if json { Output.err(report) } else { Output.out(report + "\n") }
        return batch.events
    }

    /// One line per alert: the event it became, or why it was refused.
    static func summary(_ batch: BridgeBatch) -> String {
        let total = batch.accepted.count + batch.refused.count
        var lines = ["\(batch.bridge.rawValue) body: \(total) alert\(total == 1 ? "" : "s"), \(batch.accepted.count) mapped to events, \(batch.refused.count) refused"]
        var entries: [(Int, String)] = batch.accepted.map { alert in
            let event = alert.event
            let relations = event.relations.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return (alert.index, "  alerts[\(alert.index)] \(alert.status.rawValue) → metric '\(event.metric)' subject '\(event.subject.id)' value \(JSONNumberText.format(event.value))"
                + (relations.isEmpty ? "" : " relations \(relations)") + " id \(event.id ?? "-")")
        }
        entries += batch.refused.map { ($0.index, "  alerts[\($0.index)] refused (\($0.reason.rawValue)): \($0.message) at \($0.path)") }
        lines += entries.sorted { $0.0 < $1.0 }.map(\.1)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `10` rather than `10.0` in the summary.
enum JSONNumberText {
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
