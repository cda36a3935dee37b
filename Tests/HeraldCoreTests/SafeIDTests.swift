import Testing
import HeraldTestKit
@testable import HeraldCore

/// #17 item 9: ids people create come from one documented alphabet, checked by bytes.
struct SafeIDTests {
    @Test(arguments: [
        ("team-a", true), ("utilisation-variance", true), ("ops:db.01_x", true), ("U2", true),
        (String(repeating: "a", count: 128), true),
        ("team/a", false),                       // splits a URL path and an episode id
        ("a@b", false),                          // splits an outbox destination
        ("\u{301}a", false),                     // a combining mark glues itself to a preceding '/'
        ("a b", false), ("a\tb", false), ("a\nb", false),   // shells and log lines split them
        ("-lead", false), (".hidden", false),    // read as an option / hidden file name
        ("100%", false), ("é", false), ("", false),
        (String(repeating: "a", count: 129), false),
    ])
    func configIDsUseTheSafeAlphabet(_ id: String, _ safe: Bool) {
        #expect(SafeID.isSafe(id) == safe)
    }

    /// User ids name people from other systems: '@' and '/' are allowed too.
    @Test(arguments: [
        ("u-17", true), ("ana@example.org", true), ("ops/lee", true), ("corp/ops/lee", true),
        ("ops/", false), ("ops//lee", false), ("/ops", false), ("@ana", false),
        ("ana lee", false), ("ana%40example.org", false), ("ana\r", false),
    ])
    func userIDsMayAlsoHoldAtAndSlash(_ id: String, _ safe: Bool) {
        #expect(SafeID.isSafeUserID(id) == safe)
    }

    /// Ids from the alphabet load (and '@', '/' in user ids), so existing configs keep working.
    @Test func configWithSafeIDsLoads() {
        let json = #"""
        {"users": [{"id": "ana@example.org", "owner": true}, {"id": "ops/lee", "groups": ["night-shift.2"]}],
         "groups": [{"id": "night-shift.2"}],
         "targets": [{"id": "hooks:main", "url": "https://h/x", "secrets": [{"env": "S"}]}],
         "server": {"tokens": [{"id": "ci_bot", "sha256": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "scopes": ["read"]}]},
         "rules": [{"id": "cpu.load-p95", "metric": "m", "targets": ["hooks:main"], "tiers": [{"threshold": 1, "notify": [{"group": "night-shift.2"}]}]}]}
        """#
        #expect(TestConfig.issues(json).filter { $0.severity == .error }.map(\.description) == [])
    }

    /// Every bad id is reported at once, each with its code and path.
    @Test func everyBadIDIsReported() {
        let json = #"{"users": [{"id": "o o", "owner": true}], "groups": [{"id": "g/1"}], "rules": [{"id": "r 1", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]}"#
        let bad = TestConfig.issues(json).filter { $0.code == "bad_id" }
        #expect(bad.map(\.path.description) == ["users[0].id", "groups[0].id", "rules[0].id"])
    }
}
