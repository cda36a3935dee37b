import Foundation
import Testing
@testable import HeraldCore
import HeraldTestKit

/// #17 item 2: a notice whose audience resolves to nobody is marked `unrouted` and goes
/// to the `unrouted` fallback (the rule's, else the server's), never silently nowhere.
@Suite struct UnroutedTests {
    /// `gone` is inactive, `ops` catches what nothing else reaches; targets `main` and `ops-hook`.
    static func config(rule: String = "", server: String = "", requiredRights: String = "[]") -> String {
        """
        {"users": [{"id": "o", "name": "Owner", "owner": true}, {"id": "gone", "active": false}, {"id": "ops", "name": "Ops"}],
         "roles": [{"id": "staff", "additionalRights": ["x.view"]}], "defaultRole": "staff",
         "targets": [{"id": "main", "url": "http://127.0.0.1:9/a", "secrets": [{"env": "S"}]},
                     {"id": "ops-hook", "url": "http://127.0.0.1:9/b", "secrets": [{"env": "S"}]}],
         "rules": [{"id": "r", "metric": "m", "requiredRights": \(requiredRights), "targets": ["main"]\(rule.isEmpty ? "" : ", " + rule),
                    "tiers": [{"name": "hi", "threshold": 10, "notify": [{"user": "gone"}]}]}]\(server.isEmpty ? "" : #", "server": {"# + server + "}")}
        """
    }

    static func fire(_ json: String) throws -> (HeraldConfig, HeraldCore.Notification) {
        let config = try TestConfig.load(json)
        var state = EvaluationState()
        let event = TestEvent.make("m", value: 12, subject: "s", at: Timeline().at(minutes: 0))
        let outcome = Evaluator(config: config).evaluate(event, state: &state, now: Timeline().at(minutes: 0))
        return (config, try #require(outcome.notifications.first))
    }

    /// Without a fallback the notice still exists (audit, log, metric) with nobody and
    /// says why: the daemon reports it instead of sending nothing silently.
    @Test func withoutAFallbackTheNoticeIsMarkedAndKeepsItsReasons() throws {
        let (config, notice) = try Self.fire(Self.config())
        #expect(notice.unrouted == true)
        #expect(notice.recipients.isEmpty)
        #expect(notice.excluded.map(\.reason) == ["inactive"])
        #expect(DeliveryPlanner.plan(notice, config: config).isEmpty)
        #expect(String(decoding: NotificationJSON.data(notice), as: UTF8.self).contains(#""unrouted":true"#))
    }

    /// The server's fallback catches it, without the rule's required rights, on its own targets.
    @Test func serverFallbackReceivesIt() throws {
        let json = Self.config(server: #""unrouted": {"notify": [{"user": "ops"}], "targets": ["ops-hook"]}"#, requiredRights: #"["x.view"]"#)
        let (config, notice) = try Self.fire(json)
        #expect(notice.unrouted == true)
        #expect(notice.recipients.map(\.id) == ["ops"])
        #expect(notice.recipients.first?.path == "unrouted fallback: user:ops")
        #expect(notice.excluded.map(\.reason) == ["inactive"])
        #expect(DeliveryPlanner.plan(notice, config: config).map(\.destination) == ["ops-hook@user:ops"])
    }

    /// The rule's fallback wins over the server's; without `targets` it uses the rule's.
    @Test func ruleFallbackWinsAndUsesTheRuleTargets() throws {
        let json = Self.config(rule: #""unrouted": {"notify": [{"owner": true}]}"#,
                               server: #""unrouted": {"notify": [{"user": "ops"}]}"#)
        let (config, notice) = try Self.fire(json)
        #expect(notice.recipients.map(\.id) == ["o"])
        #expect(DeliveryPlanner.plan(notice, config: config).map(\.destination) == ["main@user:o"])
    }

    /// A routed notice carries no `unrouted` member at all (webhook bodies unchanged).
    @Test func aRoutedNoticeIsUnmarked() throws {
        let (_, notice) = try Self.fire(Self.config().replacingOccurrences(of: #"{"user": "gone"}"#, with: #"{"user": "ops"}"#))
        #expect(notice.unrouted == nil)
        #expect(!String(decoding: NotificationJSON.data(notice), as: UTF8.self).contains("unrouted"))
    }

    /// The fallback people join the episode: they hear how it ends.
    @Test func fallbackPeopleHearTheResolve() throws {
        let config = try TestConfig.load(Self.config(server: #""unrouted": {"notify": [{"user": "ops"}]}"#))
        var driver = EvaluatorDriver(config)
        driver.send(12, at: 0, metric: "m")
        #expect(driver.send(1, at: 1, metric: "m").notices == [Notice(.resolved, 0, ["ops"])])
    }

    @Test func fallbackDecodingErrorsNameTheirPlace() {
        let json = Self.config(server: #""unrouted": {"notify": [], "targets": ["nope"], "extra": 1}"#)
        #expect(TestConfig.issues(json).map { "\($0.path): \($0.message)" } == [
            "server.unrouted.notify: an 'unrouted' fallback must notify someone",
            "server.unrouted.targets[0]: undefined target 'nope'",
            "server.unrouted.extra: unknown key 'extra'",
        ])
    }
}
