import Foundation
import Testing
import HeraldTestKit

/// `POST /v1/bridges/alertmanager` and `/v1/bridges/grafana` against the real daemon:
/// authentication (bearer scope, basic auth), Grafana's HMAC signature, partial
/// acceptance and every refusal — each answer checked against docs/openapi.yaml.
@Suite(.serialized)
struct BridgeApiTests {
    typealias F = ApiFixture
    static let password = "am-basic-password-77e0"
    static let hmacSecret = "grafana-hmac-secret-0b9d"
    static let environment = F.environment.merging(["AM_PASSWORD": password, "GRAFANA_HMAC": hmacSecret]) { _, new in new }

    static let config = """
        {
          "users": [{"id": "owner", "name": "Owner", "owner": true}, {"id": "u-ops", "name": "Oli Ops", "groups": ["platform"]}],
          "groups": [{"id": "platform", "name": "Platform"}],
          "rules": [{"id": "memory", "metric": "High memory usage", "tiers": [{"name": "high", "threshold": 40, "notify": [{"group": "platform"}]}]},
                    {"id": "load", "metric": "HighLoad", "tiers": [{"name": "high", "threshold": 0.9, "notify": [{"group": "platform"}]}]}],
          "bridges": {
            "alertmanager": {"auth": {"basic": {"username": "alertmanager", "password": {"env": "AM_PASSWORD"}}}},
            "grafana": {"subject": {"id": {"label": "zone"}}, "valueRef": "B",
                        "hmac": {"secret": {"env": "GRAFANA_HMAC"}, "timestampHeader": "X-Grafana-Alerting-Timestamp", "tolerance": "5m"}}
          },
          "server": {"listen": "127.0.0.1:0", "tokens": [
            {"id": "writer", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]},
            {"id": "reader", "sha256": "\(F.readerTokenSHA256)", "scopes": ["read"]}]}
        }
        """

    /// Hex HMAC-SHA256 computed by Python's `hmac`, independent of Herald's code.
    static func signature(_ message: Data, key: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())", key]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(message)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One POST over a raw connection, read back whatever the status.
    static func rawPost(_ herald: HeraldProcess, _ path: String, _ body: String, authorization: String) throws -> RawHTTPConnection.Response {
        let connection = try RawHTTPConnection(port: herald.port)
        let bytes = Data(body.utf8)
        _ = connection.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n")
        _ = connection.send(bytes)
        return try connection.readResponse()
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    static let amAlert = #"{"status": "firing", "labels": {"alertname": "HighLoad", "instance": "node-1"}, "annotations": {"value": "0.97"}, "startsAt": "2026-11-23T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a1b2c3d4e5f60708"}"#
    static let amBadAlert = #"{"status": "firing", "labels": {"instance": "node-2"}, "annotations": {}, "startsAt": "2026-11-23T09:00:00Z", "fingerprint": "0000000000000002"}"#
    static func amBody(_ alerts: [String]) -> String {
        #"{"version": "4", "groupKey": "{}:{alertname=\"HighLoad\"}", "status": "firing", "receiver": "herald", "groupLabels": {}, "alerts": [\#(alerts.joined(separator: ","))]}"#
    }

    @Test func bridgesAuthenticateVerifyMapAndAnswerAsDocumented() throws {
        let herald = try HeraldProcess(config: Self.config, environment: Self.environment)
        var observed = OpenAPITests.Observations()
        func post(_ bridge: String, _ body: String, headers: [String: String] = [:], token: String? = nil,
                  contentType: String = "application/json") throws -> HTTPClient.Response {
            let response: HTTPClient.Response
            do {
                response = try HTTPClient.send("POST", herald.url("/v1/bridges/\(bridge)"), body: Data(body.utf8), token: token,
                                               contentType: contentType, headers: headers)
            } catch {
                Issue.record("POST /v1/bridges/\(bridge) failed (\(error)); herald log:\n\(herald.logText())")
                throw error
            }
            observed.response("POST", "/v1/bridges/\(bridge)", response)
            return response
        }
        let amAuth = ["Authorization": Self.basic("alertmanager", Self.password)]

        // Alertmanager: basic auth; one good alert and one without alertname.
        let mixed = try post("alertmanager", Self.amBody([Self.amAlert, Self.amBadAlert]), headers: amAuth)
        #expect(mixed.status == 202, "\(mixed.text)")
        #expect(mixed.json["accepted"] as? Int == 1 && mixed.json["notifications"] as? Int == 1)
        let alerts = mixed.json["alerts"] as? [[String: Any]] ?? []
        #expect(alerts.count == 1 && alerts.first?["subject"] as? String == "a1b2c3d4e5f60708" && alerts.first?["value"] as? Double == 0.97)
        #expect((alerts.first?["eventId"] as? String)?.hasPrefix("alertmanager:") == true)
        let refused = mixed.json["refused"] as? [[String: Any]] ?? []
        #expect(refused.count == 1)
        #expect(refused.first?["index"] as? Int == 1 && refused.first?["reason"] as? String == "missing_field")
        #expect(refused.first?["path"] as? String == "alerts[1].labels.alertname")
        #expect(refused.first?["message"] as? String == "label 'alertname' is missing (it names the metric)")
        // The same group again (a re-send, or the HA peer): a duplicate.
        let again = try post("alertmanager", Self.amBody([Self.amAlert]), token: F.writerToken)
        #expect(again.status == 202 && again.json["duplicates"] as? Int == 1 && again.json["accepted"] as? Int == 0, "\(again.text)")
        // Every alert refused: 422 naming each.
        let none = try post("alertmanager", Self.amBody([Self.amBadAlert]), headers: amAuth)
        #expect(none.status == 422 && none.json["error"] as? String == "no_alert_accepted", "\(none.text)")
        #expect((none.json["details"] as? [[String: Any]])?.first?["path"] as? String == "alerts[0].labels.alertname")
        let metrics = try F.metrics(herald)
        #expect(metrics[#"herald_bridge_alerts_refused_total{bridge="alertmanager",reason="missing_field"}"#] == 2)
        #expect(metrics[#"herald_bridge_alerts_received_total{bridge="alertmanager"}"#] == 4)
        #expect(herald.logText().components(separatedBy: "bridge alert refused, ignoring it").count - 1 == 2, "logged once per refused alert")
        // Not an envelope, not JSON, not JSON's media type.
        #expect(try post("alertmanager", #"{"status": "firing"}"#, headers: amAuth).json["error"] as? String == "invalid_event")
        #expect(try post("alertmanager", "{not json", headers: amAuth).status == 400)
        #expect(try post("alertmanager", Self.amBody([]), headers: amAuth, contentType: "text/plain").status == 415)
        // Authentication.
        // Raw: URLSession on Linux stalls on a `Basic` challenge instead of returning it.
        let wrong = try Self.rawPost(herald, "/v1/bridges/alertmanager", Self.amBody([Self.amAlert]),
                                     authorization: Self.basic("alertmanager", "guess"))
        observed.items.append(["kind": "operation", "method": "post", "path": "/v1/bridges/alertmanager", "status": wrong.status,
                               "headers": Dictionary(wrong.headers.map { ($0.key.lowercased(), $0.value) }) { a, _ in a },
                               "body": String(decoding: wrong.body, as: UTF8.self)])
        #expect(wrong.status == 401 && wrong.errorBody?.error == "invalid_credentials")
        #expect(wrong.headers.first { $0.key.lowercased() == "www-authenticate" }?.value == #"Basic realm="herald""#)
        #expect(try post("alertmanager", Self.amBody([Self.amAlert])).json["error"] as? String == "missing_token")
        #expect(try post("alertmanager", Self.amBody([Self.amAlert]), token: F.readerToken).status == 403)
        let noBasic = try post("grafana", "{}", headers: ["Authorization": Self.basic("alertmanager", Self.password)])
        #expect(noBasic.status == 401 && noBasic.json["error"] as? String == "malformed_authorization", "basic auth is per bridge")

        // Grafana: its documented body, signed as Grafana signs it.
        let body = try Fixtures.data("Config/examples/grafana-webhook.json")
        let now = String(Int(Date().timeIntervalSince1970))
        var signed = ["X-Grafana-Alerting-Timestamp": now,
                      "X-Grafana-Alerting-Signature": try Self.signature(Data("\(now):".utf8) + body, key: Self.hmacSecret)]
        let grafana = try post("grafana", String(decoding: body, as: UTF8.self), headers: signed, token: F.writerToken)
        #expect(grafana.status == 202, "\(grafana.text)")
        #expect((grafana.json["alerts"] as? [[String: Any]])?.map { $0["subject"] as? String } == ["us-1", "eu-1"])
        #expect((grafana.json["alerts"] as? [[String: Any]])?.first?["value"] as? Double == 44.23943737541908)
        #expect(grafana.json["notifications"] as? Int == 1, "High memory usage at 44 passes 40")
        #expect(grafana.json["unmatched"] as? Int == 1, "no rule knows High CPU usage")
        // The code's default header name is accepted too.
        signed["X-Grafana-Alert-Signature"] = signed.removeValue(forKey: "X-Grafana-Alerting-Signature")
        let resent = try post("grafana", String(decoding: body, as: UTF8.self), headers: signed, token: F.writerToken)
        #expect(resent.status == 202 && resent.json["duplicates"] as? Int == 2, "\(resent.text)")
        // Tampered, unsigned and stale requests are refused before the body is used.
        var tampered = signed
        tampered["X-Grafana-Alert-Signature"] = try Self.signature(Data("\(now):{}".utf8), key: Self.hmacSecret)
        #expect(try post("grafana", String(decoding: body, as: UTF8.self), headers: tampered, token: F.writerToken).json["error"] as? String == "invalid_signature")
        #expect(try post("grafana", String(decoding: body, as: UTF8.self), token: F.writerToken).json["error"] as? String == "missing_signature")
        let old = String(Int(Date().timeIntervalSince1970) - 3600)
        let stale = ["X-Grafana-Alerting-Timestamp": old,
                     "X-Grafana-Alerting-Signature": try Self.signature(Data("\(old):".utf8) + body, key: Self.hmacSecret)]
        #expect(try post("grafana", String(decoding: body, as: UTF8.self), headers: stale, token: F.writerToken).json["error"] as? String == "stale_signature")

        let statuses = Set(observed.items.compactMap { $0["status"] as? Int })
        #expect(statuses == [202, 400, 401, 403, 415, 422])
        let result = try OpenAPITests.Python.run(mode: "check", input: try observed.json())
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("checked \(observed.items.count) observations, 0 problems"), "\(result.output)")
        #expect(herald.stop() == 0)
        for secret in [Self.password, Self.hmacSecret] { #expect(!herald.logText().contains(secret), "secrets are never logged") }
    }

    /// `herald explain --bridge`: what the body becomes, then the usual routing.
    @Test func explainShowsTheEventsABodyBecomesAndTheirRouting() throws {
        let result = try CommandRunner.herald(["explain", "--config", Fixtures.url("Config/examples/bridges.json").path,
                                               "--bridge", "alertmanager", "--event", Fixtures.url("Config/examples/alertmanager-webhook.json").path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.components(separatedBy: "\n")
        #expect(lines.first == "alertmanager body: 2 alerts, 2 mapped to events, 0 refused")
        #expect(lines.contains { $0.hasPrefix("  alerts[0] firing → metric 'UtilisationVariance' subject 'p-1' value 24.5 relations primary_coordinator=u-chloe id alertmanager:") })
        #expect(result.stdout.contains("notify Maya Murphy <u-maya> via group:sc-managers"))
        let bad = try CommandRunner.herald(["explain", "--config", Fixtures.url("Config/examples/bridges.json").path,
                                            "--bridge", "alertmanager", "--event", "-"], stdin: Data(Self.amBody([Self.amBadAlert]).utf8))
        #expect(bad.status == 0)
        #expect(bad.stdout.contains("alerts[0] refused (missing_field): label 'alertname' is missing (it names the metric) at alerts[0].labels.alertname"))
        let json = try CommandRunner.herald(["explain", "--config", Fixtures.url("Config/examples/bridges.json").path, "--json",
                                             "--bridge", "grafana", "--event", Fixtures.url("Config/examples/grafana-webhook.json").path])
        #expect(json.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil, "stdout stays one JSON document")
        #expect(json.stderr.hasPrefix("grafana body: 2 alerts, 2 mapped to events, 0 refused"))
    }

    /// `check --secrets` names every bridge secret it cannot read, all at once.
    @Test func checkSecretsNamesEveryMissingBridgeSecret() throws {
        let result = try CommandRunner.herald(["check", "--secrets", "--config", Fixtures.url("Config/examples/bridges.json").path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bridges.alertmanager.auth.basic.password: environment variable 'HERALD_ALERTMANAGER_PASSWORD' is not set"), "\(result.stderr)")
        #expect(result.stderr.contains("bridges.grafana.hmac.secret: environment variable 'HERALD_GRAFANA_HMAC_SECRET' is not set"), "\(result.stderr)")
    }
}
