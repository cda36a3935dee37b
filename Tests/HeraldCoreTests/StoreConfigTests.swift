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

    @Test func writtenValuesAreTaken() throws {
        let config = try TestConfig.load(Self.config(#"""
            "targets": [\#(Self.target), "maxBacklog": 250}],
            "store": {"retention": {"audit": "7d", "deliveries": "1m"}}
            """#))
        #expect(config.store.auditRetention == Duration(seconds: 7 * 86_400))
        #expect(config.store.deliveryRetention == Duration(seconds: 60))
        #expect(config.targets[0].maxBacklog == 250)
    }

    @Test(arguments: [
        // Each case: the extra members, the path of the error, its exact message.
        (#""store": {"retention": {"audit": "30s"}}"#, "store.retention.audit",
         "retention '30s' is shorter than the minimum of 1m"),
        (#""store": {"retention": {"deliveries": "soon"}}"#, "store.retention.deliveries",
         "'soon' is not a duration; use a number with a unit, like '30s', '15m', '4h' or '1d'"),
        (#""store": {"retension": {}}"#, "store.retension", "unknown key 'retension' (did you mean 'retention'?)"),
        (#""targets": [\#(target), "maxBacklog": 0}]"#, "targets[0].maxBacklog", nil),
    ] as [(String, String, String?)])
    func mistakesAreNamedWithTheirPath(_ extra: String, _ path: String, _ message: String?) {
        let issues = TestConfig.issues(Self.config(extra)).filter { $0.severity == .error }
        let match = issues.first { $0.path.description == path }
        #expect(match != nil, "issues: \(issues.map(\.description))")
        if let message { #expect(match?.message == message) }
    }
}
