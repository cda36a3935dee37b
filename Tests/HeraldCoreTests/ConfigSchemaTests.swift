import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// Config/herald.schema.json must be true to the decoder: every shipped example loads
/// with the decoder and validates against the schema, and structurally broken configs
/// are refused by both. The schema side runs Python's `jsonschema` (Debian
/// python3-jsonschema, installed by scripts/install-deps).
struct ConfigSchemaTests {
    static let examples = ["Config/example.json", "Config/examples/role-templates.json", "Config/examples/escalation.json",
                           "Config/examples/bridges.json", "Config/examples/channels.json"]

    /// Structural mistakes the schema can express; each must fail in both.
    static let broken: [String] = [
        // #17 item 11: what check refuses the schema refuses too — no owner, roles without defaultRole.
        #"{"users": [{"id": "o"}]}"#,
        // #17 item 14: TLS needs a certificate and a key, each a secret source.
        #"{"users": [{"id": "o", "owner": true}], "server": {"tls": {"certificate": {"file": "c"}}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "server": {"tls": {"certificate": {"file": "c"}, "key": "-----BEGIN PRIVATE KEY-----"}}}"#,
        // #17 item 9: ids outside the safe alphabet (users may add '@' and '/').
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "cpu/load", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "groups": [{"id": "night shift"}]}"#,
        #"{"users": [{"id": "ann lee", "owner": true}]}"#,
        #"{"users": [{"id": "ops//lee", "owner": true}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "roles": [{"id": "staff"}]}"#,
        #"{"users": [{"id": "o", "owner": true, "rolez": []}]}"#,
        #"{"users": [{"name": "no id", "owner": true}]}"#,
        #"{"users": {"id": "o"}}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "direction": "up", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true, "user": "o"}]}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": []}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "repeatAfter": "soon", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "ftp://x/y", "secrets": [{"env": "S"}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://x/y"}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://x/y", "mode": "fanout"}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "server": {"tokens": [{"id": "t", "scopes": ["read"]}]}}"#,
        #"{"users": [{"id": "o", "owner": true}], "server": {"maxBatchEvents": 0}}"#,
        #"{"users": [{"id": "o", "owner": true}], "server": {"publicURL": "herald.example.org"}}"#,
        #"{"users": [{"id": "o", "owner": true}], "server": {"publicURL": "https://herald.example.org/?x=1"}}"#,
        // Escalation and quiet hours (issue 8).
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}], "escalation": {"repeat": 1}}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}], "escalation": {"steps": []}}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "a", "threshold": 1, "notify": [{"owner": true}], "escalation": {"steps": [{"after": "1m", "tier": "a", "notify": [{"owner": true}]}]}}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "a", "threshold": 1, "notify": [{"owner": true}], "escalation": {"steps": [{"tier": "a"}]}}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"name": "a", "threshold": 1, "notify": [{"owner": true}], "escalation": {"steps": [{"after": "1m", "tier": "a"}], "repeat": -1}}]}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "critical": "yes", "notify": [{"owner": true}]}]}]}"#,
        #"{"users": [{"id": "o", "owner": true, "quietHours": {"timeZone": "UTC", "windows": [{"days": ["monday"], "start": "22:00", "end": "07:00"}]}}]}"#,
        #"{"users": [{"id": "o", "owner": true, "quietHours": {"timeZone": "UTC", "windows": [{"start": "7:00", "end": "09:00"}]}}]}"#,
        #"{"users": [{"id": "o", "owner": true, "quietHours": {"timeZone": "UTC", "windows": []}}]}"#,
        #"{"users": [{"id": "o", "owner": true, "quietHours": {"windows": [{"start": "22:00", "end": "07:00"}]}}]}"#,
        // Channel formats (issue 15).
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://x/y", "format": "slak"}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://x/y", "format": "standard"}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": {"path": "x"}, "format": "slack"}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://ntfy.sh", "format": "ntfy", "topic": "a", "priority": 9}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "targets": [{"id": "t", "url": "https://x/y", "format": "pagerduty", "routingKey": "inline"}]}"#,
        #"{"users": [{"id": "o", "owner": true, "contact": {"slack": ""}}]}"#,
        #"{"users": [{"id": "o", "owner": true}], "rules": [{"id": "r", "metric": "m", "message": {"titel": "x"}, "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]}"#,
        // PostgreSQL store (issue 20): the URL only from a secret source, connections bounded.
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"url": "postgresql://h/db"}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"connections": 4}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"url": {"env": "U"}, "connections": 0}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"url": {"env": "U"}, "pool": 4}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 4}}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"postgresql": {"url": {"env": "U"}, "leaseSeconds": 3601}}}"#,
        // store.synchronous (issue 21): full or normal, and not with PostgreSQL.
        #"{"users": [{"id": "o", "owner": true}], "store": {"synchronous": "off"}}"#,
        #"{"users": [{"id": "o", "owner": true}], "store": {"synchronous": "normal", "postgresql": {"url": {"env": "U"}}}}"#,
    ]

    @Test(arguments: examples)
    func exampleLoadsWithTheDecoder(_ path: String) throws {
        let config = try ConfigLoader.load(try Fixtures.data(path))
        #expect(config.warnings.isEmpty, "\(config.warnings)")
    }

    @Test(arguments: broken)
    func brokenConfigIsRefusedByTheDecoder(_ json: String) {
        #expect(!TestConfig.issues(json).filter { $0.severity == .error }.isEmpty)
    }

    @Test func schemaAgreesWithTheDecoder() throws {
        let documents = try Self.examples.map { try String(decoding: Fixtures.data($0), as: UTF8.self) } + Self.broken
        let verdicts = try SchemaValidator.validate(documents, schema: Fixtures.url("Config/herald.schema.json"))
        let expected = Self.examples.map { _ in true } + Self.broken.map { _ in false }
        #expect(verdicts == expected)
    }
}

/// Runs Python's jsonschema over documents; one verdict per document.
enum SchemaValidator {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    static let script = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for document in json.load(sys.stdin):
        print("valid" if validator.is_valid(json.loads(document)) else "invalid")
    """

    static func validate(_ documents: [String], schema: URL) throws -> [Bool] {
        for python in ["/usr/bin/python3", "python3"] {
            if let output = try? run(python, documents, schema) { return output }
        }
        throw Unavailable(description: "no python3 with the jsonschema module (install python3-jsonschema)")
    }

    private static func run(_ python: String, _ documents: [String], _ schema: URL) throws -> [Bool]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, schema.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: documents))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0 == "valid" }
    }
}
