import HeraldSupport

/// The store's metric names and help texts in one place, so dashboards, the metric
/// table in docs/operations.md and the code agree (as `DeliveryMetrics` and
/// `HTTPMetrics` do for their modules). A registry is optional for the store, so these
/// are names and one helper rather than a wrapper holding the registry.
enum StoreMetrics {
    /// Counter: store operations that failed, label `code` = `StoreError.Code`.
    static let errors = "herald_store_errors_total"
    static let errorsHelp = "Store operations that failed, by error code."
    /// Histogram: seconds spent copying the WAL back into the database.
    static let checkpointSeconds = "herald_store_checkpoint_seconds"
    static let checkpointSecondsHelp = "Duration of WAL checkpoints (copying the log back into the database)."
    /// Histogram: event batches that shared one group-commit transaction.
    static let commitBatchSize = "herald_commit_batch_size"
    static let commitBatchSizeHelp = "Event batches per commit transaction."
    /// Histogram: seconds one group-commit transaction took.
    static let commitSeconds = "herald_commit_seconds"
    static let commitSecondsHelp = "Duration of commit transactions."

    /// Counts one failed store operation under its stable code.
    static func countFailure(_ code: StoreError.Code, in registry: MetricsRegistry?) {
        registry?.increment(errors, [("code", code.rawValue)], help: errorsHelp)
    }
}
