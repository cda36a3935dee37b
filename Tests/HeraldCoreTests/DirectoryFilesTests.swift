import Foundation
import Testing
import HeraldTestKit
@testable import HeraldCore

/// `directory.files`: users and groups from more files, decoded with the config, every
/// problem named by file, line:column and the path inside the file.
struct DirectoryFilesTests {
    /// An in-memory file tree standing in for the caller's reader; a pattern names files
    /// exactly or with a trailing `*` (the daemon's reader uses `glob`).
    static func reader(_ files: [String: String]) -> DirectoryFileReader {
        { pattern in
            let names = files.keys.sorted().filter { pattern.hasSuffix("*") ? $0.hasPrefix(pattern.dropLast()) : $0 == pattern }
            if names.isEmpty && !pattern.hasSuffix("*") { return .failed("cannot read '/etc/herald/\(pattern)': no such file") }
            return .found(names.map { DirectoryFile(name: $0, path: "/etc/herald/\($0)", data: Data(files[$0]!.utf8)) })
        }
    }

    static func load(_ config: String, _ files: [String: String]) throws(ConfigError) -> HeraldConfig {
        try ConfigLoader.load(Data(config.utf8), readFiles: reader(files))
    }

    static func issues(_ config: String, _ files: [String: String]) -> [ConfigIssue] {
        do {
            _ = try load(config, files)
            return []
        } catch {
            return error.issues
        }
    }

    static let config = #"{"users": [{"id": "owner", "owner": true}], "directory": {"files": ["users.json", "teams/*"]}}"#

    @Test func usersAndGroupsFromFilesJoinTheDirectoryWithTheirSource() throws {
        let loaded = try Self.load(Self.config, [
            "users.json": #"{"users": [{"id": "ann", "roles": ["manager"]}, {"id": "bob"}]}"#,
            "teams/a.json": #"{"groups": [{"id": "ops", "members": ["ann", "owner"]}]}"#,
            "teams/b.json": #"{"users": [{"id": "cy", "groups": ["ops"]}]}"#,
        ])
        let directory = loaded.directory
        #expect(directory.users.map(\.id) == ["owner", "ann", "bob", "cy"])
        #expect(directory.users.map(\.source) == [.config, .file("users.json"), .file("users.json"), .file("teams/b.json")])
        let ops = try #require(directory.group("ops"))
        #expect(directory.members(ofGroup: ops).map { directory.users[$0].id }.sorted() == ["ann", "cy", "owner"])
        #expect(directory.holders(ofRole: directory.role("manager")!).map { directory.users[$0].id } == ["ann"])
    }

    @Test func aConfigWithDirectoryFilesNeedsNoUsersOfItsOwn() throws {
        let loaded = try Self.load(#"{"directory": {"files": ["users.json"]}}"#,
                                   ["users.json": #"{"users": [{"id": "owner", "owner": true}]}"#])
        #expect(loaded.directory.users.map(\.id) == ["owner"])
    }

    /// Each refusal, with the file, line:column (of the key that is wrong, as in the
    /// config) and path inside the file.
    @Test func problemsInAFileNameTheFileThePlaceAndThePath() {
        let cases: [(files: [String: String], file: String?, line: Int?, column: Int?, path: String, message: String)] = [
            // An unknown role, written on line 2 of the second team file.
            (["users.json": #"{"users": []}"#, "teams/b.json": "{\"users\": [\n  {\"id\": \"x\", \"roles\": [\"mgr\"]}]}"],
             "/etc/herald/teams/b.json", 2, 25, "users[0].roles[0]", "undefined role 'mgr'"),
            // A user id defined in the config and again in a file.
            (["users.json": #"{"users": [{"id": "owner"}]}"#], "/etc/herald/users.json", 1, 13, "users[0].id",
             "duplicate user id 'owner' (first defined at users[0])"),
            // The same id in two files: the first place names the file.
            (["users.json": #"{"users": [{"id": "x"}]}"#, "teams/a.json": #"{"users": [{"id": "x"}]}"#],
             "/etc/herald/teams/a.json", 1, 13, "users[0].id", "duplicate user id 'x' (first defined at users.json users[0])"),
            // A typo in a file's top-level key.
            (["users.json": #"{"user": []}"#], "/etc/herald/users.json", 1, 2, "user", "unknown key 'user' (did you mean 'users'?)"),
            // Not JSON at all.
            (["users.json": "{\"users\": [\n}"], "/etc/herald/users.json", 2, 1, "(root)",
             "invalid JSON: expected a value, found '}'"),
            // A second owner in a file.
            (["users.json": #"{"users": [{"id": "o2", "owner": true}]}"#], "/etc/herald/users.json", 1, 25, "users[0].owner",
             "second business owner 'o2' (the owner is already 'owner')"),
            // A pattern naming a file that is not there.
            ([:], nil, 1, 69, "directory.files[0]", "cannot read '/etc/herald/users.json': no such file"),
        ]
        for (files, file, line, column, path, message) in cases {
            let issues = Self.issues(Self.config, files).filter { $0.severity == .error }
            let issue = issues.first { $0.message == message }
            #expect(issue != nil, "expected '\(message)', got \(issues.map(\.description))")
            guard let issue else { continue }
            #expect(issue.file == file, "\(message)")
            #expect(issue.path.description == path, "\(message)")
            #expect(issue.position == SourcePosition(line: line!, column: column!), "\(message)")
        }
    }

    @Test func aGlobMatchingNothingIsAnError() {
        let issues = Self.issues(#"{"users": [{"id": "o", "owner": true}], "directory": {"files": ["teams/*"]}}"#, [:])
        #expect(issues.map(\.message) == ["'teams/*' matches no file"])
        #expect(issues.map(\.path.description) == ["directory.files[0]"])
    }

    @Test func withoutAReaderDirectoryFilesAreRefused() {
        #expect(TestConfig.issues(Self.config).map(\.message) == ["directory files cannot be read here", "directory files cannot be read here"])
    }
}
