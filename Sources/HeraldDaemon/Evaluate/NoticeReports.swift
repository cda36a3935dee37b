import HeraldCore

/// Notices decided for one commit, kept until it succeeds so they are counted and logged
/// once (`EvaluationLoop.publish`): a commit that conflicted with another instance's
/// writes is decided again, and counting at decision time would count its notices twice.
struct NoticeReports: Sendable {
    /// Each notice with the silence that suppressed it, if any.
    var decided: [(notification: HeraldCore.Notification, suppressedBy: String?)] = []
    /// The config they were decided under (set by `add`), for the per-target checks.
    var config: HeraldConfig?
}
