import Testing
import HeraldTestKit
@testable import HeraldCore

/// Target formats in the config: what is accepted, and every refusal with its exact
/// message and JSON path (STYLE.md principle 5).
struct ChannelConfigTests {
    typealias Case = ConfigValidationTests.Case

    static func config(_ targets: String, rule: String = "") -> String {
        #"{"users": [{"id": "o", "owner": true}], "targets": ["# + targets + "]" + (rule.isEmpty ? "" : ", " + rule) + "}"
    }

    static func ruleWith(message: String) -> String {
        #""rules": [{"id": "r", "metric": "m", "message": "# + message + #", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#
    }

    static let cases: [Case] = [
        Case(name: "unknown format", json: config(#"{"id": "t", "url": "https://x/y", "format": "slak"}"#),
             path: "targets[0].format",
             message: "unknown format 'slak' (did you mean 'slack'?); use one of standard, template, slack, teams, discord, mattermost, google-chat, pagerduty, ntfy"),
        Case(name: "standard still needs secrets", json: config(#"{"id": "t", "url": "https://x/y"}"#),
             path: "targets[0].secrets", message: "missing required key 'secrets'"),
        Case(name: "option of another format", json: config(#"{"id": "t", "url": "https://x/y", "format": "slack", "topic": "a"}"#),
             path: "targets[0].topic", message: "'topic' only applies to format ntfy, not 'slack'"),
        Case(name: "batch pagerduty without routing key", json: config(#"{"id": "t", "url": "https://x/y", "format": "pagerduty", "mode": "batch"}"#),
             path: "targets[0].routingKey", message: "a batch pagerduty target needs 'routingKey' (a secret source)"),
        Case(name: "routing key inline", json: config(#"{"id": "t", "url": "https://x/y", "format": "pagerduty", "routingKey": "abc"}"#),
             path: "targets[0].routingKey", message: "expected an object, found string"),
        Case(name: "unknown severity", json: config(#"{"id": "t", "url": "https://x/y", "format": "pagerduty", "routingKey": {"env": "K"}, "severity": {"30%": "errror"}}"#),
             path: #"targets[0].severity["30%"]"#, message: "unknown severity 'errror' (did you mean 'error'?); use one of critical, error, warning, info"),
        Case(name: "batch ntfy without topic", json: config(#"{"id": "t", "url": "https://ntfy.sh", "format": "ntfy", "mode": "batch"}"#),
             path: "targets[0].topic", message: "a batch ntfy target needs 'topic'"),
        Case(name: "ntfy priority out of range", json: config(#"{"id": "t", "url": "https://ntfy.sh", "format": "ntfy", "topic": "a", "priority": 6}"#),
             path: "targets[0].priority", message: "'priority' must be a whole number from 1 to 5, found 6"),
        Case(name: "template without body", json: config(#"{"id": "t", "url": "https://x/y", "format": "template"}"#),
             path: "targets[0].template", message: "a template target needs 'template' (the JSON body)"),
        Case(name: "unknown placeholder in a template body",
             json: config(#"{"id": "t", "url": "https://x/y", "format": "template", "template": {"a": ["{{rule.nam}}"]}}"#),
             path: "targets[0].template.a[0]",
             message: "unknown placeholder '{{rule.nam}}' (did you mean 'rule.name'?); use one of \(TemplateField.knownNames.joined(separator: ", "))"),
        Case(name: "unknown placeholder in a rule message",
             json: config(#"{"id": "t", "url": "https://x/y", "format": "slack"}"#, rule: ruleWith(message: #"{"title": "{{subject.nme}} is high"}"#)),
             path: "rules[0].message.title",
             message: "unknown placeholder '{{subject.nme}}' (did you mean 'subject.name'?); use one of \(TemplateField.knownNames.joined(separator: ", "))"),
        Case(name: "unclosed placeholder", json: config(#"{"id": "t", "url": "https://x/y", "format": "slack"}"#, rule: ruleWith(message: #"{"text": "value {{event.value"}"#)),
             path: "rules[0].message.text", message: "placeholder '{{event.value' is not closed with '}}'"),
        Case(name: "bad rate", json: config(#"{"id": "t", "url": "https://x/y", "format": "slack", "rate": "fast"}"#),
             path: "targets[0].rate", message: "'fast' is not a rate; write requests per interval, like '1/s', '20/min' or '2/5s'"),
        Case(name: "header value neither string nor secret", json: config(#"{"id": "t", "url": "https://x/y", "format": "slack", "headers": {"X": 1}}"#),
             path: "targets[0].headers.X", message: "expected a string or a secret source, found number"),
        Case(name: "url secret source without env or file", json: config(#"{"id": "t", "url": {}, "format": "slack"}"#),
             path: "targets[0].url", message: "a secret source needs 'env', 'file' or both (the variable wins when set)"),
        Case(name: "empty slack handle", json: #"{"users": [{"id": "o", "owner": true, "contact": {"slack": ""}}]}"#,
             path: "users[0].contact.slack", message: "'slack' must not be empty"),
    ]

    @Test(arguments: cases)
    func rejectsWithPreciseMessage(_ testCase: Case) {
        ConfigValidationTests().rejectsWithPreciseMessage(testCase)
    }

    @Test func aFullChannelsConfigLoads() throws {
        let config = try TestConfig.load(ChannelFixture.config)
        let slack = try #require(config.targets.first { $0.id == "slack" })
        #expect(slack.format == .slack)
        #expect(slack.urlSource == .environment("SLACK_URL"))
        #expect(slack.secrets.isEmpty)
        #expect(slack.rate == DeliveryRate(count: 1, per: Duration(seconds: 1)))
        let pagerduty = try #require(config.targets.first { $0.id == "pagerduty" })
        #expect(pagerduty.channel.routingKey == .environment("PD_KEY"))
        #expect(pagerduty.channel.severity == ["20%": .error])
        let olivia = try #require(config.directory.user("u-olivia"))
        #expect(config.directory.users[olivia].contact.handles["slack"] == "U0OLIVIA")
    }

    @Test func aTargetWithoutFormatIsStandardAndUnchanged() throws {
        let config = try TestConfig.load(Self.config(#"{"id": "t", "url": "https://x/y", "secrets": [{"env": "S"}]}"#))
        #expect(config.targets[0].format == .standard)
        #expect(config.targets[0].rate == nil)
    }

    @Test func headerValuesMayComeFromSecretSources() throws {
        let config = try TestConfig.load(Self.config(#"{"id": "t", "url": "https://x/y", "format": "teams", "headers": {"Authorization": {"file": "auth"}, "X-Team": "ops"}}"#))
        #expect(config.targets[0].headers == ["X-Team": "ops"])
        #expect(config.targets[0].secretHeaders == ["Authorization": .file("auth")])
    }

    @Test(arguments: [("1/s", 1.0), ("20/min", 3.0), ("2/5s", 2.5), ("60/h", 60.0)])
    func ratesAreParsed(_ text: String, _ interval: Double) throws {
        #expect(DeliveryRate(parsing: text)?.interval == interval)
    }

    @Test func plainHTTPToARemoteHostIsWarnedAbout() throws {
        let config = try TestConfig.load(Self.config(#"{"id": "t", "url": "http://hooks.example.org/x", "format": "slack"}, {"id": "l", "url": "http://127.0.0.1:9/x", "format": "slack"}"#))
        let warnings = config.warnings.filter { $0.code == "cleartext_url" }
        #expect(warnings.map(\.path.description) == ["targets[0].url"])
        #expect(warnings.first?.message == "'hooks.example.org' is reached over plain http: credentials and notices cross the network unencrypted; use https")
    }
}
