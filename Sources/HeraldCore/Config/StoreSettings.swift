/// The `store` section: how long the state file keeps history (issue #22).
///
/// Without it the audit log grew for as long as Herald ran (≈ 1 GB after 200,000
/// notices). Pruning removes what is older than these durations, a few hundred rows per
/// transaction off the ingest path, and gives the freed pages back to the file system.
public struct StoreSettings: Sendable, Equatable {
    /// Notification history (the audit log): what `GET /v1/notifications` and `explain`
    /// show. A notice an outbox row or dead letter still sends is kept past it.
    public var auditRetention = Duration(seconds: 30 * 86_400)
    /// Delivery outcomes and dead letters.
    public var deliveryRetention = Duration(seconds: 14 * 86_400)

    /// Shortest retention accepted: a minute (the soak benchmark runs with it); shorter
    /// would prune faster than the pruner's own pass.
    public static let minimumRetention = Duration(seconds: 60)

    public init() {}
}

extension ConfigDecoder {
    /// `store`: `{"retention": {"audit": "30d", "deliveries": "14d"}}`.
    func decodeStore(_ reader: inout ObjectReader) -> StoreSettings {
        var settings = StoreSettings()
        if var retention = reader.object("retention") {
            if let audit = retentionDuration(&retention, "audit") { settings.auditRetention = audit }
            if let deliveries = retentionDuration(&retention, "deliveries") { settings.deliveryRetention = deliveries }
            retention.finish()
        }
        reader.finish()
        return settings
    }

    private func retentionDuration(_ reader: inout ObjectReader, _ key: String) -> Duration? {
        guard let duration = reader.duration(key) else { return nil }
        guard duration >= StoreSettings.minimumRetention else {
            diagnostics.error("out_of_range", reader.path.appending(key),
                              "retention '\(duration)' is shorter than the minimum of \(StoreSettings.minimumRetention)")
            return nil
        }
        return duration
    }
}
