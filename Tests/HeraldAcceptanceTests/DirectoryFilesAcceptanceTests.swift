import Foundation
import Testing
import HeraldTestKit

/// Directory files through the real binary: `herald check` names a bad file's place,
/// `serve` shows where each user comes from, and SIGHUP refuses a bad file as a whole.
struct DirectoryFilesAcceptanceTests {
    static let token = "directory-files-token-5c1e"

    static let config = """
    {"users": [{"id": "owner", "owner": true}],
     "directory": {"files": ["staff.json", "teams/*.json"]},
     "server": {"listen": "127.0.0.1:0", "tokens": [{"id": "r", "env": "DIR_TOKEN", "scopes": ["read"]}]}}
    """

    static func write(_ text: String, _ name: String, in folder: URL) throws {
        let file = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func checkReadsTheFilesAndNamesABadOnesPlace() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-dirfiles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.write(Self.config, "herald.json", in: folder)
        try Self.write(#"{"users": [{"id": "ann", "roles": ["manager"]}]}"#, "staff.json", in: folder)
        try Self.write(#"{"users": [{"id": "bob"}]}"#, "teams/b.json", in: folder)
        try Self.write(#"{"groups": [{"id": "ops", "members": ["ann", "bob"]}]}"#, "teams/a.json", in: folder)
        let config = folder.appendingPathComponent("herald.json").path
        let good = try CommandRunner.herald(["check", "--config", config])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasSuffix("ok: 3 users, 3 roles, 1 custom groups, 0 rules, 0 targets, 0 rights\n"))

        try Self.write("{\"users\": [\n  {\"id\": \"bob\", \"roles\": [\"mangaer\"]}]}", "teams/b.json", in: folder)
        let bad = try CommandRunner.herald(["check", "--config", config])
        #expect(bad.status == 1)
        #expect(bad.stderr.split(separator: "\n").map(String.init) == [
            "\(folder.path)/teams/b.json:2:27: undefined role 'mangaer' (did you mean 'manager'?) at users[0].roles[0]",
            "\(config): 1 error",
        ])
    }

    /// `herald explain` says which file a recipient comes from.
    @Test func explainNamesTheFileARecipientComesFrom() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("herald-dirfiles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.write("""
            {"users": [{"id": "owner", "owner": true}], "directory": {"files": ["staff.json"]},
             "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"role": "manager"}, {"owner": true}]}]}]}
            """, "herald.json", in: folder)
        try Self.write(#"{"users": [{"id": "ann", "name": "Ann", "roles": ["manager"]}]}"#, "staff.json", in: folder)
        try Self.write(#"{"metric": "m", "value": 5, "subject": {"id": "p"}, "timestamp": "2026-12-07T00:00:00Z"}"#, "event.json", in: folder)
        let result = try CommandRunner.herald(["explain", "--config", folder.appendingPathComponent("herald.json").path,
                                               "--event", folder.appendingPathComponent("event.json").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("notify Ann <ann> via role:manager (from staff.json)"), "\(result.stdout)")
        #expect(result.stdout.contains("notify owner <owner> via owner → no target\n"), "a config user has no note")
    }

    @Test func serveShowsSourcesAndAReloadWithABadFileKeepsTheOldDirectory() throws {
        let herald = try HeraldProcess(config: Self.config, environment: ["DIR_TOKEN": Self.token], start: false)
        let folder = herald.configFile.deletingLastPathComponent()
        try Self.write(#"{"users": [{"id": "ann", "roles": ["manager"]}]}"#, "staff.json", in: folder)
        try Self.write(#"{"users": [{"id": "bob"}]}"#, "teams/b.json", in: folder)
        try herald.start()
        defer { _ = herald.stop() }
        func source(_ id: String) throws -> [String: String]? {
            try HTTPClient.get(herald.url("/v1/directory/users/\(id)"), token: Self.token).json["source"] as? [String: String]
        }
        #expect(try source("owner") == ["kind": "config", "name": "config"])
        #expect(try source("ann") == ["kind": "file", "name": "staff.json"])
        #expect(try source("bob") == ["kind": "file", "name": "teams/b.json"])

        // A second file that breaks the directory (a duplicate id): refused as a whole.
        try Self.write(#"{"users": [{"id": "cy"}, {"id": "ann"}]}"#, "teams/c.json", in: folder)
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reload failed"))
        #expect(herald.logText().contains("teams/c.json:1:27: duplicate user id 'ann' (first defined at staff.json users[0]) at users[1].id"))
        #expect(try HTTPClient.get(herald.url("/v1/directory/users/cy"), token: Self.token).status == 404)

        // Fixed: the reload takes every file.
        try Self.write(#"{"users": [{"id": "cy"}]}"#, "teams/c.json", in: folder)
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reloaded"))
        #expect(try source("cy") == ["kind": "file", "name": "teams/c.json"])
    }
}
