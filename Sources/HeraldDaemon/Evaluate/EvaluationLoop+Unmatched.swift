import Foundation
import HeraldCore
import HeraldSupport

/// Events for a metric no rule knows are accepted (unless `server.unknownMetrics` is
/// `reject`, refused at decoding) but never silent: the 202 summary says how many
/// (`unmatched`) and `herald_events_unmatched_total{metric}` counts them, so a producer's
/// typo or a rule never written shows up.
extension EvaluationLoop {
    /// Metric names that get a label of their own; the rest share `other`. Metric names
    /// come from clients: without a bound, one sending random names would grow the
    /// registry (and every scrape) without end.
    static let maxUnmatchedMetricLabels = 100
    static let otherMetricLabel = "other"

    /// Records one unmatched event under its label. Runs on the evaluation queue, which
    /// owns `unmatchedLabels`.
    func noteUnmatched(_ metric: String, in summary: inout Summary) {
        dispatchPrecondition(condition: .onQueue(queue))
        summary.unmatched += 1
        summary.unmatchedByLabel[unmatchedLabel(metric), default: 0] += 1
    }

    /// The metric's own name while fewer than `maxUnmatchedMetricLabels` names have one
    /// (first come, first labelled, for the life of the process), else `other`.
    func unmatchedLabel(_ metric: String) -> String {
        if unmatchedLabels.contains(metric) { return metric }
        guard unmatchedLabels.count < Self.maxUnmatchedMetricLabels else { return Self.otherMetricLabel }
        unmatchedLabels.insert(metric)
        return metric
    }

    /// Counts a committed request's unmatched events (after the commit, like `accepted`).
    func countUnmatched(_ summary: Summary) {
        for (label, count) in summary.unmatchedByLabel {
            metrics.increment(DaemonMetrics.eventsUnmatched, [("metric", label)], by: Double(count),
                              help: "Accepted events whose metric no rule knows; the first 100 metric names have their own label, later ones count as 'other'.")
        }
    }
}
