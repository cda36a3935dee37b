import Foundation
import Testing
import HeraldTestKit

/// #17 item 7: `check --secrets` resolves every secret as `serve` would and reports every
/// missing one at once; `serve` refuses to start listing them all too.
@Suite(.serialized)
struct CommandLineSecretsTests {
    /// Two env tokens and a target whose secret is a credential file (relative: looked
    /// up in `$CREDENTIALS_DIRECTORY`).
    static let config = """
    {"users": [{"id": "o", "owner": true}],
     "targets": [{"id": "hook", "url": "http://127.0.0.1:9/x", "secrets": [{"file": "hook.secret"}]}],
     "server": {"tokens": [{"id": "writer", "env": "HERALD_T1", "scopes": ["events:write"]},
                           {"id": "reader", "env": "HERALD_T2", "scopes": ["read"]}]}}
    """

    static let missing = [
        "token 'writer': environment variable 'HERALD_T1' is not set or empty",
        "token 'reader': environment variable 'HERALD_T2' is not set or empty",
    ]

    @Test func checkSecretsReportsEveryMissingSecretAtOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.json")
        try Self.config.write(to: file, atomically: true, encoding: .utf8)
        let empty = ["HERALD_T1": "", "HERALD_T2": "", "CREDENTIALS_DIRECTORY": directory.path]

        // Without --secrets the config itself is fine.
        #expect(try CommandRunner.herald(["check", "--config", file.path], environment: empty).status == 0)

        let result = try CommandRunner.herald(["check", "--config", file.path, "--secrets"], environment: empty)
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").map(String.init) == Self.missing.map { "\(file.path): \($0)" } + [
            "\(file.path): target 'hook': cannot read secret file '\(directory.path)/hook.secret'",
            "\(file.path): 3 secrets missing or invalid",
        ])

        // serve reports the same three at once and does not start.
        let serve = try CommandRunner.herald(["serve", "--config", file.path, "--state-dir", directory.appendingPathComponent("state").path,
                                              "--listen", "127.0.0.1:0"], timeout: 15, environment: empty)
        #expect(serve.status == 1)
        for line in Self.missing + ["target 'hook': cannot read secret file"] {
            #expect((serve.stdout + serve.stderr).contains(line), "serve output lacks: \(line)")
        }

        // With every secret present, check --secrets passes.
        try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n".write(to: directory.appendingPathComponent("hook.secret"), atomically: true, encoding: .utf8)
        let present = ["HERALD_T1": "t-one", "HERALD_T2": "t-two", "CREDENTIALS_DIRECTORY": directory.path]
        let ok = try CommandRunner.herald(["check", "--config", file.path, "--secrets"], environment: present)
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
