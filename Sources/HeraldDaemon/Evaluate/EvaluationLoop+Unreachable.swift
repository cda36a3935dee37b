import Foundation
import HeraldCore
import HeraldSupport

/// Recipients a per-recipient ntfy or PagerDuty target cannot reach because they lack
/// the contact field it sends to (and the target names no default): no delivery is
/// planned for them, so each is counted per target and logged once per notice, never
/// skipped silently (`herald explain` shows the same as "not sent: …").
extension EvaluationLoop {
    /// Ids named in one log line; the rest are counted.
    static let maxUnreachableLogged = 10

    /// Counts and logs `unreachable` (`ChannelReach.unreachable` of the notice, worked out
    /// when it was decided, on the evaluation queue).
    func reportUnreachable(_ notification: HeraldCore.Notification, _ unreachable: [NoticeReports.Unreachable]) {
        for entry in unreachable {
            metrics.increment(DaemonMetrics.recipientsUnreachable, [("target", entry.target)], by: Double(entry.users.count),
                              help: "Recipients not sent to on a per-recipient target because they lack its contact field.")
            let named = entry.users.prefix(Self.maxUnreachableLogged).joined(separator: ", ")
            let more = entry.users.count > Self.maxUnreachableLogged ? " and \(entry.users.count - Self.maxUnreachableLogged) more" : ""
            logger.warning("recipients without contact '\(entry.field)' are not sent to on target '\(entry.target)', ignoring them there",
                           ["notification.id": notification.id, "rule.id": notification.ruleID, "target": entry.target,
                            "users": named + more, "count": String(entry.users.count)])
        }
    }
}
