import Testing
import HeraldTestKit
@testable import HeraldCore

/// `store.retention` and `targets[].maxBacklog` (issue #22): defaults, values, and one
/// exact message per mistake.
struct StoreConfigTests {
    static let target = #"{"id": "ops", "url": "https://ops.example/hook", "secrets": [{"env": "S"}]"#

    static func config(_ extra: String) -> String { ConfigValidationTests.config(extra) }

    @Test func defaultsKeepAMonthOfNoticesAndTwoWeeksOfDeliveries() throws {
        let config = try TestConfig.load(Self.config(#""targets": [\#(Self.target)}]"#))
        #expect(config.store.auditRetention == Duration(seconds: 30 * 86_400))
        #expect(config.store.deliveryRetention == Duration(seconds: 14 * 86_400))
        #expect(config.targets[0].maxBacklog == TargetDefinition.defaultMaxBacklog)
    }

    @Test func postgresqlIsOffByDefaultAndTakesASecretURL() throws {
        #expect(try TestConfig.load(Self.config(#""targets": [\#(Self.target)}]"#)).store.postgres == nil)
        let config = try TestConfig.load(Self.config(#"""
            "targets": [\#(Self.target)}],
            "store": {"postgresql": {"url": {"env": "HERALD_DATABASE_URL"}}}
            """#))
        #expect(config.store.postgres == PostgresStoreSettings(url: .environment("HERALD_DATABASE_URL"), connections: 8))
        let sized = try TestConfig.load(Self.config(#"""
            "targets": [\#(Self.target)}],
            "store": {"postgresql": {"url": {"file": "db-url"}, "connections": 3}}
            """#))
        #expect(sized.store.postgres == PostgresStoreSettings(url: .file("db-url"), connections: 3))
        #expect(sized.store.postgres?.leaseSeconds == 30)
        let leased = try TestConfig.load(Self.config(#"""
            "targets": [\#(Self.target)}],
            "store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 5}}
            """#))
        #expect(leased.store.postgres == PostgresStoreSettings(url: .environment("U"), leaseSeconds: 5))
    }

    @Test func writtenValuesAreTaken() throws {
        let config = try TestConfig.load(Self.config(#"""
            "targets": [\#(Self.target), "maxBacklog": 250}],
            "store": {"retention": {"audit": "7d", "deliveries": "1m"}}
            """#))
        #expect(config.store.auditRetention == Duration(seconds: 7 * 86_400))
        #expect(config.store.deliveryRetention == Duration(seconds: 60))
        #expect(config.targets[0].maxBacklog == 250)
    }

    /// `store.synchronous` (issue #21): full unless told otherwise; normal when written.
    @Test func synchronousIsFullByDefaultAndNormalWhenWritten() throws {
        #expect(try TestConfig.load(Self.config(#""targets": [\#(Self.target)}]"#)).store.synchronous == .full)
        let normal = try TestConfig.load(Self.config(#""targets": [\#(Self.target)}], "store": {"synchronous": "normal"}"#))
        #expect(normal.store.synchronous == .normal)
        let full = try TestConfig.load(Self.config(#""targets": [\#(Self.target)}], "store": {"synchronous": "full"}"#))
        #expect(full.store.synchronous == .full)
    }

    @Test(arguments: [
        // Each case: the extra members, the path of the error, its exact message.
        // store.synchronous (issue #21): a value it does not know, and with PostgreSQL.
        (#""store": {"synchronous": "fast"}"#, "store.synchronous", "unknown value 'fast'; use one of full, normal"),
        (#""store": {"synchronous": "norml"}"#, "store.synchronous", "unknown value 'norml' (did you mean 'normal'?); use one of full, normal"),
        (#""store": {"synchronous": "normal", "postgresql": {"url": {"env": "U"}}}"#, "store.synchronous",
         "'synchronous' sets the SQLite store's durability; with 'postgresql' it is the database's own setting (synchronous_commit)"),
        (#""store": {"retention": {"audit": "30s"}}"#, "store.retention.audit",
         "retention '30s' is shorter than the minimum of 1m"),
        (#""store": {"retention": {"deliveries": "soon"}}"#, "store.retention.deliveries",
         "'soon' is not a duration; use a number with a unit, like '30s', '15m', '4h' or '1d'"),
        (#""store": {"retension": {}}"#, "store.retension", "unknown key 'retension' (did you mean 'retention'?)"),
        (#""targets": [\#(target), "maxBacklog": 0}]"#, "targets[0].maxBacklog", nil),
        // store.postgresql (issue #20).
        (#""store": {"postgresql": {"url": "postgresql://herald:pw@db/herald"}}"#, "store.postgresql.url",
         #"the database URL holds a password, so it comes from a secret source such as {"env": "HERALD_DATABASE_URL"}, not the config"#),
        (#""store": {"postgresql": {"connections": 4}}"#, "store.postgresql.url",
         #"'url' is required: a secret source such as {"env": "HERALD_DATABASE_URL"}"#),
        (#""store": {"postgresql": {"url": {"env": "U"}, "connections": 65}}"#, "store.postgresql.connections",
         "'connections' must be a whole number from 1 to 64, found 65"),
        // The outbox claim lease: too short for renewals on a loaded machine, longer than an hour, not whole.
        (#""store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 4}}"#, "store.postgresql.leaseSeconds",
         "'leaseSeconds' must be a whole number from 5 to 3600, found 4"),
        (#""store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 3601}}"#, "store.postgresql.leaseSeconds",
         "'leaseSeconds' must be a whole number from 5 to 3600, found 3601"),
        (#""store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 7.5}}"#, "store.postgresql.leaseSeconds",
         "'leaseSeconds' must be a whole number from 5 to 3600, found 7.5"),
        (#""store": {"postgresql": {"url": {}}}"#, "store.postgresql.url",
         "a secret source needs 'env', 'file' or both (the variable wins when set)"),
        (#""store": {"postgresql": {"url": {"env": "U"}, "conections": 4}}"#, "store.postgresql.conections",
         "unknown key 'conections' (did you mean 'connections'?)"),
    ] as [(String, String, String?)])
    func mistakesAreNamedWithTheirPath(_ extra: String, _ path: String, _ message: String?) {
        let issues = TestConfig.issues(Self.config(extra)).filter { $0.severity == .error }
        let match = issues.first { $0.path.description == path }
        #expect(match != nil, "issues: \(issues.map(\.description))")
        if let message { #expect(match?.message == message) }
    }
}
