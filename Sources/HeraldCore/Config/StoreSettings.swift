/// The `store` section: how long the state file keeps history (issue #22), and which
/// store holds the state: SQLite in the state directory (the default), or a PostgreSQL
/// database several instances share (`postgresql`, issue #20).
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

    /// `store.postgresql`; nil: SQLite in the state directory.
    public var postgres: PostgresStoreSettings?

    /// `store.synchronous`: how hard an SQLite commit waits for the disk before events
    /// are answered (issue #21). Read at start.
    public var synchronous: StoreSynchronous = .full

    public init() {}
}

/// `store.synchronous`: what a 202 survives with the SQLite store.
public enum StoreSynchronous: String, Sendable, Equatable, CaseIterable {
    /// The write-ahead log is flushed (fsync) at every commit: an answered event survives
    /// a power loss or kernel crash as well as a crash of Herald.
    case full
    /// The log is flushed only at checkpoints: an answered event survives a crash or
    /// kill -9 of Herald (the operating system still holds its write), but the last
    /// commits before a power loss or kernel crash may be lost. Each commit no longer
    /// waits for the disk.
    case normal
}

/// `store.postgresql`: where the shared database is and how many connections one
/// instance may hold. The URL is a secret source like the other credentials (it usually
/// holds a password), never written in the config itself.
public struct PostgresStoreSettings: Sendable, Equatable {
    public var url: SecretSource
    public var connections: Int

    /// Connections per instance when not given: enough for ingest commits, delivery and
    /// API reads to proceed side by side without queueing for a connection.
    public static let defaultConnections = 8
    /// Most connections one instance may hold (`PostgresPool.maxConnections` enforces the
    /// same number): PostgreSQL's default `max_connections` is 100, and a few instances
    /// with 64 each already need it raised.
    public static let connectionRange = 1...64

    /// How long an instance's claim on an outbox row lasts before another instance may
    /// send the row (`leaseSeconds`): the longest an instance that died keeps its rows from
    /// the others. The holder renews it every third of it while the row waits in its
    /// memory, and never starts a row whose claim may have run out.
    public var leaseSeconds: Int

    /// `leaseSeconds` when not given: three times a target's default 10 s timeout.
    public static let defaultLeaseSeconds = 30
    /// Shortest and longest lease accepted: below 5 s a loaded machine's renewal (every
    /// third of the lease) would miss it; above an hour a crashed instance's rows would
    /// wait longer than any retry schedule.
    public static let leaseRange = 5...3600

    public init(url: SecretSource, connections: Int = PostgresStoreSettings.defaultConnections,
                leaseSeconds: Int = PostgresStoreSettings.defaultLeaseSeconds) {
        self.url = url
        self.connections = connections
        self.leaseSeconds = leaseSeconds
    }
}

extension ConfigDecoder {
    /// `store`: `{"retention": {"audit": "30d", "deliveries": "14d"}, "synchronous": "full",
    /// "postgresql": {"url": {"env": "HERALD_DATABASE_URL"}, "connections": 8, "leaseSeconds": 30}}`.
    func decodeStore(_ reader: inout ObjectReader) -> StoreSettings {
        var settings = StoreSettings()
        if var retention = reader.object("retention") {
            if let audit = retentionDuration(&retention, "audit") { settings.auditRetention = audit }
            if let deliveries = retentionDuration(&retention, "deliveries") { settings.deliveryRetention = deliveries }
            retention.finish()
        }
        if var postgres = reader.object("postgresql") {
            settings.postgres = decodePostgres(&postgres)
            postgres.finish()
        }
        if let synchronous = reader.string("synchronous") {
            if let value = StoreSynchronous(rawValue: synchronous) {
                settings.synchronous = value
            } else {
                let names = StoreSynchronous.allCases.map(\.rawValue)
                diagnostics.error("bad_value", reader.path.appending("synchronous"),
                                  "unknown value '\(synchronous)'\(Suggestion.hint(for: synchronous, in: names)); use one of \(names.joined(separator: ", "))")
            }
            if reader.has("postgresql") {
                diagnostics.error("not_applicable", reader.path.appending("synchronous"),
                                  "'synchronous' sets the SQLite store's durability; with 'postgresql' it is the database's own setting (synchronous_commit)")
            }
        }
        reader.finish()
        return settings
    }

    /// `store.postgresql`: a required `url` secret source, optional `connections` and
    /// `leaseSeconds`.
    private func decodePostgres(_ reader: inout ObjectReader) -> PostgresStoreSettings? {
        let connections = reader.integer("connections", in: PostgresStoreSettings.connectionRange)
        let lease = reader.integer("leaseSeconds", in: PostgresStoreSettings.leaseRange)
        guard let value = reader.raw("url") else {
            diagnostics.error("missing_key", reader.path.appending("url"),
                              "'url' is required: a secret source such as {\"env\": \"HERALD_DATABASE_URL\"}")
            return nil
        }
        guard case .object = value else {
            diagnostics.error("bad_secret", reader.path.appending("url"),
                              "the database URL holds a password, so it comes from a secret source such as {\"env\": \"HERALD_DATABASE_URL\"}, not the config")
            return nil
        }
        guard let url = decodeSecretSource(value, at: reader.path.appending("url")) else { return nil }
        return PostgresStoreSettings(url: url, connections: connections ?? PostgresStoreSettings.defaultConnections,
                                     leaseSeconds: lease ?? PostgresStoreSettings.defaultLeaseSeconds)
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
