import HeraldCore

/// Notices decided for one commit, kept until it succeeds so they are counted and logged
/// once (`EvaluationLoop.publish`): a commit that conflicted with another instance's
/// writes is decided again, and counting at decision time would count its notices twice.
///
/// What takes work to find out (who a per-recipient target cannot reach) is found when
/// the notice is decided, on the evaluation queue; publishing only counts and logs, so
/// it stays short on the committer's queue, where the next group commit waits for it.
struct NoticeReports: Sendable {
    typealias Unreachable = (target: String, field: String, users: [String])

    /// Each notice with the silence that suppressed it, if any, and the recipients its
    /// per-recipient targets cannot reach (none when suppressed).
    var decided: [(notification: HeraldCore.Notification, suppressedBy: String?, unreachable: [Unreachable])] = []
}
