import Foundation
import HeraldTestKit

/// Shared set-up for the API acceptance tests: the shipped example config with test
/// tokens and limits, a daemon started on it, and small request and metrics helpers.
///
/// Three tokens, one per way the config can hold one, so scope checks have a token
/// that lacks each scope: `writer` (env, every scope), `reader` (sha256, `read` only),
/// `ingest` (env, `events:write` only).
enum ApiFixture {
    static let writerToken = "api-writer-token-9a41f7c2e8"
    static let readerToken = "api-read-token-51d2e8c04b"
    /// `printf %s api-read-token-51d2e8c04b | sha256sum`: the config holds only this hash.
    static let readerTokenSHA256 = "06e64271a88ce9f3a3915e8a481078702becba9db3f37ad7276441218d661cf1"
    static let ingestToken = "api-ingest-token-3b7d05aa61"
    static let environment = ["HERALD_TOKEN": writerToken, "HERALD_INGEST_TOKEN": ingestToken]
    /// Every secret string a test presents, for the log check.
    static let allTokens = [writerToken, readerToken, ingestToken]

    static let rule = "utilisation-variance"
    static let metric = "utilisation_variance"

    /// Config/example.json with its webhook target replaced by `targets` (none: the audit
    /// log is the only record) and `server` settings merged over the test tokens.
    static func config(server: [String: Any] = [:], targets: [[String: Any]] = []) throws -> String {
        let data = try Fixtures.data("Config/example.json")
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ApiTestFailure( "Config/example.json is not an object")
        }
        root["targets"] = targets
        var settings: [String: Any] = [
            "listen": "127.0.0.1:0",
            "tokens": [
                ["id": "writer", "env": "HERALD_TOKEN", "scopes": ["events:write", "read", "admin"]],
                ["id": "reader", "sha256": readerTokenSHA256, "scopes": ["read"]],
                ["id": "ingest", "env": "HERALD_INGEST_TOKEN", "scopes": ["events:write"]],
            ],
        ]
        settings.merge(server) { _, new in new }
        root["server"] = settings
        let out = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: out, as: UTF8.self)
    }

    /// A running daemon on the adapted example config.
    static func start(server: [String: Any] = [:], targets: [[String: Any]] = []) throws -> HeraldProcess {
        try HeraldProcess(config: config(server: server, targets: targets), environment: environment)
    }

    /// One event of the example rule as JSON text. Timestamps are optional: without one
    /// Herald uses the time it received the event.
    static func event(id: String? = nil, value: Double, subject: String = "p-1", coordinator: String? = "u-chloe",
                      timestamp: String? = nil) -> String {
        var object: [String: Any] = ["metric": metric, "value": value, "subject": ["id": subject, "type": "participant"]]
        if let id { object["id"] = id }
        if let coordinator { object["relations"] = ["primary_coordinator": coordinator] }
        if let timestamp { object["timestamp"] = timestamp }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `{"events": [ … ]}` of the given event texts.
    static func batch(_ events: [String]) -> String {
        "{\"events\": [\(events.joined(separator: ", "))]}"
    }

    static func postEvents(_ herald: HeraldProcess, _ body: String, token: String? = writerToken) throws -> HTTPClient.Response {
        try HTTPClient.post(herald.url("/v1/events"), json: body, token: token)
    }

    /// Every audit entry matching `query` (e.g. `subject=p-1`), following `next` cursors;
    /// bounded by `maxPages` so a cursor bug cannot loop forever.
    static func audit(_ herald: HeraldProcess, query: String = "", pageSize: Int = 100, maxPages: Int = 50) throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var after: Int?
        for _ in 0..<maxPages {
            var parts = ["limit=\(pageSize)"]
            if !query.isEmpty { parts.append(query) }
            if let after { parts.append("after=\(after)") }
            let response = try HTTPClient.get(herald.url("/v1/notifications?" + parts.joined(separator: "&")), token: readerToken)
            guard response.status == 200 else {
                throw ApiTestFailure( "audit page answered \(response.status): \(response.text)")
            }
            all += response.json["notifications"] as? [[String: Any]] ?? []
            guard let next = response.json["next"] as? Int else { return all }
            after = next
        }
        throw ApiTestFailure( "audit paging did not end within \(maxPages) pages")
    }

    /// The `transition` of each audit entry, in the order given.
    static func transitions(_ entries: [[String: Any]]) -> [String] {
        entries.map { $0["transition"] as? String ?? "?" }
    }

    /// `/metrics` as series → value, keyed by the exposition's own text
    /// (`name{label="v",…}`), skipping comments.
    static func metrics(_ herald: HeraldProcess) throws -> [String: Double] {
        let text = try HTTPClient.get(herald.url("/metrics")).text
        var series: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }
}

/// A test step that could not go on (a fixture or an answer that makes no sense).
struct ApiTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
