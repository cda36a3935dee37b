import Foundation
import HeraldCore
import HeraldSupport

/// Notices whose audience resolved to nobody: never silent. Each is counted per rule,
/// logged once with why its audience was empty and where it went instead, and its audit
/// record carries `"unrouted": true` (the notification document's field).
extension EvaluationLoop {
    /// Most distinct exclusion reasons named in one log line.
    static let maxUnroutedReasonsLogged = 5

    func reportUnrouted(_ notification: HeraldCore.Notification) {
        guard notification.unrouted == true else { return }
        metrics.increment(DaemonMetrics.notificationsUnrouted, [("rule", notification.ruleID)],
                          help: "Notices whose audience resolved to nobody (sent to the 'unrouted' fallback when one is set).")
        let fallback = notification.recipients.isEmpty
            ? "no 'unrouted' fallback reached anyone; recorded in the audit log only"
            : "sent to the 'unrouted' fallback (\(notification.recipients.count) people)"
        logger.warning("notice has no recipients, \(fallback)",
                       ["notification.id": notification.id, "rule.id": notification.ruleID, "subject.id": notification.subject.id,
                        "tier": notification.tier.name, "excluded": Self.exclusionSummary(notification.excluded)])
    }

    /// `"inactive ×2; lacks right 'x' ×1"`, most frequent first, or `"nobody selected"`.
    static func exclusionSummary(_ excluded: [ExcludedPerson]) -> String {
        guard !excluded.isEmpty else { return "nobody selected" }
        var counts: [String: Int] = [:]
        for person in excluded { counts[person.reason, default: 0] += 1 }
        let ordered = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var parts = ordered.prefix(maxUnroutedReasonsLogged).map { "\($0.key) ×\($0.value)" }
        if ordered.count > maxUnroutedReasonsLogged { parts.append("\(ordered.count - maxUnroutedReasonsLogged) more reasons") }
        return parts.joined(separator: "; ")
    }
}
