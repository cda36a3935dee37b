import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// The `bridges` section: defaults, the shipped example, and one test per decoding
/// error with its exact message and path.
struct BridgeConfigTests {
    static func config(_ bridges: String) -> String {
        #"{"users": [{"id": "o", "owner": true}], "bridges": \#(bridges)}"#
    }

    static func errors(_ bridges: String) -> [String] {
        TestConfig.issues(config(bridges)).filter { $0.severity == .error }.map { "\($0.message) at \($0.path)" }
    }

    @Test func withoutTheSectionBothBridgesUseTheDefaults() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}]}"#)
        let mapping = config.bridges.alertmanager.mapping
        #expect(mapping.metric == .label("alertname"))
        #expect(mapping.subjectID == nil, "the fingerprint is the subject")
        #expect(mapping.value == .annotation("value"))
        #expect(mapping.firingValue == 1 && mapping.resolvedValue == 0)
        #expect(config.bridges.alertmanager.auth == BridgeAuth())
        #expect(config.bridges.alertmanager.auth.scope == .eventsWrite)
        #expect(config.bridges.grafana.valueRef == nil && config.bridges.grafana.conditionRef == "C")
        #expect(config.bridges.grafana.hmac == nil)
    }

    @Test func theShippedExampleDecodesEveryOption() throws {
        let config = try ConfigLoader.load(try Fixtures.data("Config/examples/bridges.json"))
        let am = config.bridges.alertmanager
        #expect(am.mapping.subjectID == .label("participant"))
        #expect(am.mapping.relations == ["primary_coordinator": .label("coordinator")])
        #expect(am.auth.basic == BridgeAuth.Basic(username: "alertmanager",
                                                 password: .environmentOrFile("HERALD_ALERTMANAGER_PASSWORD", "herald.alertmanager-password")))
        let grafana = config.bridges.grafana
        #expect(grafana.mapping.subjectID == .label("zone"))
        #expect(grafana.valueRef == "B")
        #expect(grafana.hmac == GrafanaHMAC(secret: .environmentOrFile("HERALD_GRAFANA_HMAC_SECRET", "herald.grafana-hmac-secret"),
                                            header: "X-Grafana-Alerting-Signature", timestampHeader: "X-Grafana-Alerting-Timestamp",
                                            tolerance: Duration(seconds: 300)))
        #expect(grafana.hmac?.signatureHeaders == ["X-Grafana-Alerting-Signature"])
    }

    @Test func everyMappingOptionIsRead() throws {
        let config = try TestConfig.load(Self.config("""
            {"alertmanager": {"metric": {"annotation": "metric"}, "subject": {"id": {"label": "instance"}, "name": {"annotation": "who"}, "type": {"label": "kind"}},
             "value": {"label": "v"}, "firingValue": 25, "resolvedValue": -1, "auth": {"scope": "admin"}},
             "grafana": {"conditionRef": "D"}}
            """))
        let mapping = config.bridges.alertmanager.mapping
        #expect(mapping.metric == .annotation("metric"))
        #expect(mapping.subjectID == .label("instance") && mapping.subjectName == .annotation("who") && mapping.subjectType == .label("kind"))
        #expect(mapping.value == .label("v") && mapping.firingValue == 25 && mapping.resolvedValue == -1)
        #expect(config.bridges.alertmanager.auth.scope == .admin)
        #expect(config.bridges.grafana.conditionRef == "D")
        #expect(GrafanaHMAC(secret: .environment("S")).signatureHeaders == ["X-Grafana-Alert-Signature", "X-Grafana-Alerting-Signature"])
    }

    /// One case per decoding rule: the section as written, and the exact errors.
    static let cases: [(String, [String])] = [
        // A field is a label or an annotation, never both.
        (#"{"alertmanager": {"metric": {"label": "a", "annotation": "b"}}}"#,
         ["give either 'label' or 'annotation', not both at bridges.alertmanager.metric"]),
        // An empty field names nothing.
        (#"{"alertmanager": {"value": {}}}"#, ["a field needs 'label' or 'annotation' at bridges.alertmanager.value"]),
        // A typo is named with a suggestion, and the field still names nothing.
        (#"{"grafana": {"subject": {"id": {"lable": "zone"}}}}"#,
         ["a field needs 'label' or 'annotation' at bridges.grafana.subject.id",
          "unknown key 'lable' (did you mean 'label'?) at bridges.grafana.subject.id.lable"]),
        // Empty names are refused where they are written.
        (#"{"alertmanager": {"relations": {"primary_coordinator": {"label": ""}}}}"#,
         ["'label' must not be empty at bridges.alertmanager.relations.primary_coordinator.label"]),
        (#"{"grafana": {"valueRef": ""}}"#, ["'valueRef' must not be empty at bridges.grafana.valueRef"]),
        // Numbers must be numbers.
        (#"{"alertmanager": {"firingValue": "high"}}"#, ["expected a number, found string at bridges.alertmanager.firingValue"]),
        // Scopes are the token scopes.
        (#"{"alertmanager": {"auth": {"scope": "events:wirte"}}}"#,
         ["unknown scope 'events:wirte' (did you mean 'events:write'?); use one of \(TokenDefinition.Scope.allCases.map(\.rawValue).joined(separator: ", ")) at bridges.alertmanager.auth.scope"]),
        // Basic auth needs a password from a secret source, and a user without ':'.
        (#"{"alertmanager": {"auth": {"basic": {"username": "am"}}}}"#,
         ["missing required key 'password' at bridges.alertmanager.auth.basic.password"]),
        (#"{"alertmanager": {"auth": {"basic": {"username": "a:m", "password": {"env": "P"}}}}}"#,
         ["'username' must not contain ':' at bridges.alertmanager.auth.basic.username"]),
        (#"{"alertmanager": {"auth": {"basic": {"username": "am", "password": "hunter2"}}}}"#,
         ["expected an object, found string at bridges.alertmanager.auth.basic.password"]),
        // HMAC needs a secret; a tolerance needs a signed timestamp and a real length.
        (#"{"grafana": {"hmac": {"header": "X-Sig"}}}"#, ["missing required key 'secret' at bridges.grafana.hmac.secret"]),
        (#"{"grafana": {"hmac": {"secret": {"env": "S"}, "tolerance": "1m"}}}"#,
         ["'tolerance' needs 'timestampHeader': without a signed timestamp there is nothing to compare at bridges.grafana.hmac.timestampHeader"]),
        (#"{"grafana": {"hmac": {"secret": {"env": "S"}, "timestampHeader": "X-T", "tolerance": "0s"}}}"#,
         ["'tolerance' must be at least 1s at bridges.grafana.hmac.tolerance"]),
        // Grafana options are not Alertmanager options.
        (#"{"alertmanager": {"valueRef": "B"}}"#, ["unknown key 'valueRef' at bridges.alertmanager.valueRef"]),
        // A misspelt bridge.
        (#"{"alertmanger": {}}"#, ["unknown key 'alertmanger' (did you mean 'alertmanager'?) at bridges.alertmanger"]),
    ]

    @Test(arguments: cases.indices)
    func eachMistakeIsNamedWhereItIsWritten(_ index: Int) {
        let (bridges, expected) = Self.cases[index]
        #expect(Self.errors(bridges) == expected, "\(bridges)")
    }

    /// The schema refuses the same mistakes (those it can express).
    @Test func schemaAgreesOnTheBridgesSection() throws {
        let good = [Self.config(#"{"alertmanager": {"subject": {"id": {"label": "instance"}}, "auth": {"basic": {"username": "am", "password": {"file": "p"}}}}, "grafana": {"valueRef": "B", "hmac": {"secret": {"env": "S"}, "timestampHeader": "X-T", "tolerance": "1m"}}}"#)]
        let bad = Self.cases.map(\.0).filter { !$0.contains("0s") }.map(Self.config)
        let verdicts = try SchemaValidator.validate(good + bad, schema: Fixtures.url("Config/herald.schema.json"))
        #expect(verdicts == good.map { _ in true } + bad.map { _ in false })
        #expect(TestConfig.issues(good[0]).isEmpty)
    }
}
