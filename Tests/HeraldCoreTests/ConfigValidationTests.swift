import Testing
import HeraldTestKit
@testable import HeraldCore

/// Every validation rule of the config, one case each, comparing the exact message and
/// JSON path (STYLE.md principle 5).
struct ConfigValidationTests {
    /// A config with one user (the owner) and the given extra top-level members.
    static func config(users: String = TestConfig.ownerOnlyUsers, _ extra: String = "") -> String {
        "{\"users\": \(users)\(extra.isEmpty ? "" : ", " + extra)}"
    }

    static let rule = #""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let json: String
        let path: String
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // #17 item 4: a right no role or user declares is a typo that would mute the rule.
        Case(name: "unknown required right",
             json: config(#""roles": [{"id": "staff", "additionalRights": ["reports.view"]}], "defaultRole": "staff", "rules": [{"id": "r", "metric": "m", "requiredRights": ["reports.veiw"], "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].requiredRights[0]",
             message: "unknown right 'reports.veiw' (did you mean 'reports.view'?): no role recommends or allows it and no user is granted it, so nobody could hold it"),
        Case(name: "unknown acknowledge right",
             json: config(#""roles": [{"id": "staff", "recommendedRights": ["ack.episodes"]}], "defaultRole": "staff", "rules": [{"id": "r", "metric": "m", "acknowledgeRights": ["ack.episode"], "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].acknowledgeRights[0]",
             message: "unknown right 'ack.episode' (did you mean 'ack.episodes'?): no role recommends or allows it and no user is granted it, so nobody could hold it"),
        // #17 item 3: the unknown-metric policy is one of two words.
        Case(name: "unknown unknownMetrics", json: config(#""server": {"unknownMetrics": "rejct"}"#),
             path: "server.unknownMetrics", message: "unknown value 'rejct' (did you mean 'reject'?); use one of accept, reject"),
        // A typo in a key is reported with the closest known key.
        Case(name: "unknown key", json: config(users: #"[{"id": "o", "owner": true, "rolez": []}]"#),
             path: "users[0].rolez", message: "unknown key 'rolez' (did you mean 'roles'?)"),
        Case(name: "unknown top-level key", json: config(#""rule": []"#),
             path: "rule", message: "unknown key 'rule' (did you mean 'rules'?)"),
        Case(name: "duplicate user id", json: config(users: #"[{"id": "o", "owner": true}, {"id": "o"}]"#),
             path: "users[1].id", message: "duplicate user id 'o' (first defined at users[0])"),
        Case(name: "duplicate group id", json: config(#""groups": [{"id": "g"}, {"id": "g"}]"#),
             path: "groups[1].id", message: "duplicate group id 'g' (first defined at groups[0])"),
        Case(name: "duplicate rule id", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}, {"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[1].id", message: "duplicate rule id 'r' (first defined at rules[0])"),
        Case(name: "user in unknown group", json: config(users: #"[{"id": "o", "owner": true, "groups": ["sc-managers"]}]"#, #""groups": [{"id": "sc-manager"}]"#),
             path: "users[0].groups[0]", message: "undefined group 'sc-managers' (did you mean 'sc-manager'?)"),
        Case(name: "user with unknown role", json: config(users: #"[{"id": "o", "owner": true, "roles": ["mgr"]}]"#),
             path: "users[0].roles[0]", message: "undefined role 'mgr'"),
        Case(name: "rule targets unknown group", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"group": "nobody"}]}]}]"#),
             path: "rules[0].tiers[0].notify[0].group", message: "undefined group 'nobody'"),
        Case(name: "rule targets unknown role", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"role": "admn"}]}]}]"#),
             path: "rules[0].tiers[0].notify[0].role", message: "undefined role 'admn' (did you mean 'admin'?)"),
        Case(name: "rule uses unknown target", json: config(#""rules": [{"id": "r", "metric": "m", "targets": ["sms"], "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].targets[0]", message: "undefined target 'sms'"),
        Case(name: "thresholds must increase (above)", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 20, "notify": [{"owner": true}]}, {"threshold": 10, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].tiers[1].threshold", message: "threshold 10 must be above the previous tier's 20 (tiers go from least to most severe)"),
        Case(name: "thresholds must decrease (below)", json: config(#""rules": [{"id": "r", "metric": "m", "direction": "below", "tiers": [{"threshold": 5, "notify": [{"owner": true}]}, {"threshold": 5, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].tiers[1].threshold", message: "threshold 5 must be below the previous tier's 5 (tiers go from least to most severe)"),
        Case(name: "empty tiers", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": []}]"#),
             path: "rules[0].tiers", message: "a rule needs at least one tier"),
        Case(name: "tier notifies nobody", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": []}]}]"#),
             path: "rules[0].tiers[0].notify", message: "a tier must notify someone"),
        Case(name: "non-finite threshold", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1e999, "notify": [{"owner": true}]}]}]"#),
             path: "(root)", message: "invalid JSON: number 1e999 is out of range for a 64-bit float"),
        Case(name: "threshold is a string", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": "NaN", "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].tiers[0].threshold", message: "expected a number, found string"),
        Case(name: "bad URL", json: config(#""targets": [{"id": "t", "url": "ftp://example.org/hook", "secrets": [{"env": "S"}]}]"#),
             path: "targets[0].url", message: "'ftp://example.org/hook' is not an http or https URL"),
        Case(name: "URL without host", json: config(#""targets": [{"id": "t", "url": "https:///hook", "secrets": [{"env": "S"}]}]"#),
             path: "targets[0].url", message: "'https:///hook' is not an http or https URL"),
        Case(name: "missing owner", json: config(users: #"[{"id": "a"}]"#),
             path: "users", message: "no business owner: mark exactly one user with \"owner\": true"),
        Case(name: "second owner", json: config(users: #"[{"id": "a", "owner": true}, {"id": "b", "owner": true}]"#),
             path: "users[1].owner", message: "second business owner 'b' (the owner is already 'a')"),
        Case(name: "inactive owner", json: config(users: #"[{"id": "a", "owner": true, "active": false}]"#),
             path: "users[0].active", message: "the business owner 'a' cannot be inactive"),
        Case(name: "group cycle", json: config(#""groups": [{"id": "a", "groups": ["b"]}, {"id": "b", "groups": ["c"]}, {"id": "c", "groups": ["a"]}]"#),
             path: "groups[0].groups", message: "group cycle 'a' → 'b' → 'c' → 'a'"),
        Case(name: "role group defined by hand", json: config(#""groups": [{"id": "manager", "members": ["owner"]}]"#),
             path: "groups[0].id", message: "group 'manager' is the role-derived group of role 'manager'; its members follow the role and cannot be edited by hand"),
        Case(name: "user joins a role group by hand", json: config(users: #"[{"id": "o", "owner": true, "groups": ["admin"]}]"#),
             path: "users[0].groups[0]", message: "group 'admin' is derived from role 'admin'; give the user the role instead"),
        Case(name: "role inheritance cycle", json: config(#""roles": [{"id": "a", "inherits": ["b"]}, {"id": "b", "inherits": ["a"]}], "defaultRole": "a""#),
             path: "roles[0].inherits", message: "role inheritance cycle 'a' ⊇ 'b' ⊇ 'a'"),
        Case(name: "declared roles need a default role", json: config(#""roles": [{"id": "a"}]"#),
             path: "defaultRole", message: "missing required key 'defaultRole' (needed when 'roles' is declared: users without roles get it)"),
        Case(name: "copyRightsFrom cycle", json: config(users: #"[{"id": "o", "owner": true, "copyRightsFrom": "x"}, {"id": "x", "copyRightsFrom": "o"}]"#),
             path: "users[0].copyRightsFrom", message: "copyRightsFrom cycle 'o' → 'x' → 'o'"),
        Case(name: "grant outside the role's rights", json: config(users: #"[{"id": "o", "owner": true, "rights": {"grant": ["billing.view"]}}]"#, #""roles": [{"id": "staff", "additionalRights": ["reports.view"]}], "defaultRole": "staff""#),
             path: "users[0].rights.grant[0]", message: "right 'billing.view' is neither recommended nor additional for roles 'staff'"),
        Case(name: "selector with two kinds", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true, "role": "admin"}]}]}]"#),
             path: "rules[0].tiers[0].notify[0]", message: "a recipient selector needs exactly one of 'user', 'role', 'group', 'relation' or 'owner', found 'role' and 'owner'"),
        Case(name: "andAbove on a group", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"group": "admin", "andAbove": true}]}]}]"#),
             path: "rules[0].tiers[0].notify[0].andAbove", message: "'andAbove' only applies to a role selector"),
        Case(name: "unknown direction", json: config(#""rules": [{"id": "r", "metric": "m", "direction": "abov", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].direction", message: "unknown direction 'abov' (did you mean 'above'?); use one of above, below, absolute"),
        Case(name: "missing metric", json: config(#""rules": [{"id": "r", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].metric", message: "missing required key 'metric'"),
        Case(name: "negative hysteresis", json: config(#""rules": [{"id": "r", "metric": "m", "hysteresis": -1, "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].hysteresis", message: "'hysteresis' must not be negative, found -1"),
        Case(name: "bad duration", json: config(#""rules": [{"id": "r", "metric": "m", "repeatAfter": "soon", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].repeatAfter", message: "'soon' is not a duration; use a number with a unit, like '30s', '15m', '4h' or '1d'"),
        Case(name: "duplicate key", json: #"{"users": [{"id": "o", "owner": true, "name": "A", "name": "B"}]}"#,
             path: "users[0].name", message: "key 'name' appears twice in the same object; the first value would be ignored"),
        Case(name: "wrong type", json: config(users: #"{"id": "o"}"#),
             path: "users", message: "expected an array, found object"),
        Case(name: "secret inline is not a source", json: config(#""targets": [{"id": "t", "url": "https://h/x", "secrets": [{"value": "whsec_x"}]}]"#),
             path: "targets[0].secrets[0].value", message: "unknown key 'value'"),
        Case(name: "token without a hash or source", json: config(#""server": {"tokens": [{"id": "t", "scopes": ["read"]}]}"#),
             path: "server.tokens[0]", message: "a token needs either 'sha256', or 'env' and/or 'file'"),
        Case(name: "target without a signing secret", json: config(#""targets": [{"id": "t", "url": "https://h/x"}]"#),
             path: "targets[0].secrets", message: "missing required key 'secrets'"),
        // #17 item 14: TLS needs both halves, each a secret source (never inline PEM).
        Case(name: "tls without a key", json: config(#""server": {"tls": {"certificate": {"file": "herald.crt"}}}"#),
             path: "server.tls.key", message: "missing required key 'key': TLS needs a PEM certificate and its private key"),
        Case(name: "tls with inline PEM", json: config(#""server": {"tls": {"certificate": {"file": "c"}, "key": {"pem": "-----BEGIN PRIVATE KEY-----"}}}"#),
             path: "server.tls.key.pem", message: "unknown key 'pem'"),
        Case(name: "tls with an unknown key", json: config(#""server": {"tls": {"certificate": {"file": "c"}, "key": {"file": "k"}, "ciphers": "x"}}"#),
             path: "server.tls.ciphers", message: "unknown key 'ciphers'"),
        // #17 item 9: ids come from the safe alphabet. '@' separates the target from the
        // recipient in outbox destinations, so a target id never holds one.
        Case(name: "target id with '@'", json: config(#""targets": [{"id": "a@b", "url": "https://h/x", "secrets": [{"env": "S"}]}]"#),
             path: "targets[0].id", message: "target id 'a@b' \(SafeID.rule)"),
        // A rule id is part of every episode id (`rule/subject/n@time`): '/' would split it wrongly.
        Case(name: "rule id with '/'", json: config(#""rules": [{"id": "cpu/load", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].id", message: "rule id 'cpu/load' may hold only letters, digits, '.', '_', ':' and '-', start with a letter or digit, and be at most 128 long"),
        // A space makes an id that a shell splits and a log line cannot quote unambiguously.
        Case(name: "group id with a space", json: config(#""groups": [{"id": "night shift"}]"#),
             path: "groups[0].id", message: "group id 'night shift' \(SafeID.rule)"),
        // `/v1/directory/groups/{id}` takes one path segment; '%' would be decoded by MHD first.
        Case(name: "group id with '%'", json: config(#""groups": [{"id": "ops%2Fa"}]"#),
             path: "groups[0].id", message: "group id 'ops%2Fa' \(SafeID.rule)"),
        // A combining mark first glues itself to the preceding '/' when split by Characters.
        Case(name: "role id starting with a combining mark", json: config(#""roles": [{"id": "\u0301staff"}], "defaultRole": "\u0301staff""#),
             path: "roles[0].id", message: "role id '\u{0301}staff' \(SafeID.rule)"),
        Case(name: "token id with a newline", json: config(#""server": {"tokens": [{"id": "ci\nbot", "sha256": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "scopes": ["read"]}]}"#),
             path: "server.tokens[0].id", message: "token id 'ci\nbot' \(SafeID.rule)"),
        Case(name: "rule id too long", json: config(#""rules": [{"id": "\#(String(repeating: "r", count: 129))", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].id", message: "rule id '\(String(repeating: "r", count: 128))' \(SafeID.rule)"),
        // User ids name people from other systems: '@' and '/' are allowed, but not a space
        // nor an empty part around '/'.
        Case(name: "user id with a space", json: config(users: #"[{"id": "ann lee", "owner": true}]"#),
             path: "users[0].id", message: "user id 'ann lee' may hold only letters, digits, '.', '_', ':', '-', '@' and '/' ('/' only between two parts), start with a letter or digit, and be at most 128 long"),
        Case(name: "user id ending in '/'", json: config(users: #"[{"id": "ops/", "owner": true}]"#),
             path: "users[0].id", message: "user id 'ops/' \(SafeID.userRule)"),
        Case(name: "user id with '//'", json: config(users: #"[{"id": "ops//lee", "owner": true}]"#),
             path: "users[0].id", message: "user id 'ops//lee' \(SafeID.userRule)"),
        Case(name: "token with a hash and a source", json: config(#""server": {"tokens": [{"id": "t", "sha256": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "env": "T", "scopes": ["read"]}]}"#),
             path: "server.tokens[0]", message: "a token needs either 'sha256', or 'env' and/or 'file'"),
        Case(name: "too few remembered event ids", json: config(#""server": {"maxRememberedEventIds": 999}"#),
             path: "server.maxRememberedEventIds", message: "'maxRememberedEventIds' must be a whole number from 1000 to 100000000, found 999"),
        // Ack links are `<publicURL>/ack/<token>`: a query or a missing scheme would break them.
        Case(name: "public URL without scheme", json: config(#""server": {"publicURL": "herald.example.org"}"#),
             path: "server.publicURL", message: "'herald.example.org' is not an http or https URL without query or fragment"),
        Case(name: "public URL with a query", json: config(#""server": {"publicURL": "https://h.example/?a=1"}"#),
             path: "server.publicURL", message: "'https://h.example/?a=1' is not an http or https URL without query or fragment"),
        Case(name: "queue smaller than a batch", json: config(#""server": {"queueDepth": 10, "maxBatchEvents": 100}"#),
             path: "server.queueDepth", message: "'queueDepth' (10) must be at least 'maxBatchEvents' (100), or a full batch could never be queued"),
        Case(name: "a user's address on a target is not a URL",
             json: config(users: #"[{"id": "o", "owner": true, "contact": {"addresses": {"chat": "not a url"}}}]"#, #""targets": [{"id": "chat", "url": "https://h/x", "secrets": [{"env": "S"}]}]"#),
             path: "users[0].contact.addresses.chat", message: "'not a url' is not an http or https URL"),
        Case(name: "a group channel address is not http",
             json: config(#""targets": [{"id": "chat", "url": "https://h/x", "secrets": [{"env": "S"}]}], "groups": [{"id": "g", "channel": {"target": "chat", "address": "ftp://h/g"}}]"#),
             path: "groups[0].channel.address", message: "'ftp://h/g' is not an http or https URL"),
        // SCIM's role mapping names roles the config has.
        Case(name: "scim role group maps an unknown role", json: config(#""scim": {"roleGroups": {"Herald Managers": "mangaer"}}"#),
             path: "scim.roleGroups[\"Herald Managers\"]", message: "undefined role 'mangaer' (did you mean 'manager'?)"),
        // scim.groups gives a SCIM group a Herald id rules can name: it must be new and used once.
        Case(name: "scim group takes a role's id", json: config(#""scim": {"groups": {"Night": "manager"}}"#),
             path: "scim.groups.Night", message: "'manager' is a role's group; name the SCIM group in scim.roleGroups to give that role"),
        Case(name: "scim group takes a config group's id", json: config(#""groups": [{"id": "night", "members": ["owner"]}], "scim": {"groups": {"Night": "night"}}"#),
             path: "scim.groups.Night", message: "group 'night' is defined in the config or a directory file; a SCIM group cannot take its id"),
        Case(name: "two scim groups share an id", json: config(#""scim": {"groups": {"A": "night", "B": "night"}}"#),
             path: "scim.groups.B", message: "group id 'night' is already given to SCIM group 'A'"),
        Case(name: "scim group is also a role group", json: config(#""scim": {"roleGroups": {"Night": "manager"}, "groups": {"Night": "night"}}"#),
             path: "scim.groups.Night", message: "SCIM group 'Night' is already a role group (scim.roleGroups); it cannot also be a custom group"),
        Case(name: "scim group id empty", json: config(#""scim": {"groups": {"Night": ""}}"#),
             path: "scim.groups.Night", message: "the Herald group id for SCIM group 'Night' must not be empty"),
        // With SCIM configured, an unknown group says how to declare one only SCIM provides.
        Case(name: "rule names an undeclared group with scim configured",
             json: config(#""scim": {"groups": {"Night On-call": "night-oncall"}}, "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "notify": [{"group": "night-oncal"}]}]}]"#),
             path: "rules[0].tiers[0].notify[0].group",
             message: "undefined group 'night-oncal' (did you mean 'night-oncall'?); a group the identity provider pushes over SCIM is declared in scim.groups (its display name → this id)"),
        Case(name: "unknown scope", json: config(#""server": {"tokens": [{"id": "t", "env": "T", "scopes": ["raed"]}]}"#),
             path: "server.tokens[0].scopes[0]", message: "unknown scope 'raed' (did you mean 'read'?); use one of events:write, read, admin, ack, directory:write"),
    ]

    /// A rule whose tier carries the given escalation JSON.
    static func escalation(_ chain: String) -> String {
        config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"name": "warn", "threshold": 1, "notify": [{"owner": true}], "escalation": \#(chain)}, {"name": "critical", "threshold": 2, "notify": [{"owner": true}]}]}]"#)
    }

    /// A user (the owner) with the given quiet hours JSON.
    static func quietHours(_ hours: String) -> String {
        config(users: #"[{"id": "o", "owner": true, "quietHours": \#(hours)}]"#)
    }

    /// Acknowledgement, escalation and quiet hours (issue 8).
    static let escalationCases: [Case] = [
        Case(name: "escalation without steps", json: escalation(#"{"repeat": 1}"#),
             path: "rules[0].tiers[0].escalation.steps", message: "missing required key 'steps'"),
        Case(name: "escalation with no step", json: escalation(#"{"steps": []}"#),
             path: "rules[0].tiers[0].escalation.steps", message: "an escalation needs at least one step"),
        Case(name: "escalation with too many steps",
             json: escalation(#"{"steps": ["# + Array(repeating: #"{"after": "1m", "tier": "critical"}"#, count: 21).joined(separator: ", ") + "]}"),
             path: "rules[0].tiers[0].escalation.steps", message: "an escalation may have at most 20 steps, found 21"),
        // A step must say who it tells: a selector list or another tier, not both.
        Case(name: "step with neither notify nor tier", json: escalation(#"{"steps": [{"after": "15m"}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0]", message: "an escalation step needs exactly one of 'notify' or 'tier', found none"),
        Case(name: "step with both notify and tier", json: escalation(#"{"steps": [{"after": "15m", "tier": "critical", "notify": [{"owner": true}]}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0]", message: "an escalation step needs exactly one of 'notify' or 'tier', found both"),
        Case(name: "step without after", json: escalation(#"{"steps": [{"tier": "critical"}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].after", message: "missing required key 'after'"),
        Case(name: "step after zero", json: escalation(#"{"steps": [{"after": "0s", "tier": "critical"}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].after", message: "'after' must be longer than zero"),
        Case(name: "step after not a duration", json: escalation(#"{"steps": [{"after": "later", "tier": "critical"}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].after", message: "'later' is not a duration; use a number with a unit, like '30s', '15m', '4h' or '1d'"),
        Case(name: "step names an unknown tier", json: escalation(#"{"steps": [{"after": "15m", "tier": "critcal"}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].tier", message: "undefined tier 'critcal' (did you mean 'critical'?) (a step names a tier of the same rule)"),
        Case(name: "step notifies nobody", json: escalation(#"{"steps": [{"after": "15m", "notify": []}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].notify", message: "an escalation step must notify someone"),
        Case(name: "step selector names an unknown user", json: escalation(#"{"steps": [{"after": "15m", "notify": [{"user": "nobody"}]}]}"#),
             path: "rules[0].tiers[0].escalation.steps[0].notify[0].user", message: "undefined user 'nobody'"),
        Case(name: "repeat out of range", json: escalation(#"{"steps": [{"after": "15m", "tier": "critical"}], "repeat": 101}"#),
             path: "rules[0].tiers[0].escalation.repeat", message: "'repeat' must be a whole number from 0 to 100, found 101"),
        Case(name: "typo in an escalation key", json: escalation(#"{"steps": [{"after": "15m", "tier": "critical"}], "repeats": 1}"#),
             path: "rules[0].tiers[0].escalation.repeats", message: "unknown key 'repeats' (did you mean 'repeat'?)"),
        Case(name: "critical is not a boolean", json: config(#""rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 1, "critical": "yes", "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].tiers[0].critical", message: "expected a boolean, found string"),
        Case(name: "notifyAcknowledged is not a boolean", json: config(#""rules": [{"id": "r", "metric": "m", "notifyAcknowledged": 1, "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].notifyAcknowledged", message: "expected a boolean, found number"),
        Case(name: "acknowledgeRights is not a list", json: config(#""rules": [{"id": "r", "metric": "m", "acknowledgeRights": "alerts.ack", "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}]"#),
             path: "rules[0].acknowledgeRights", message: "expected an array, found string"),
        // Quiet hours: IANA zones as Foundation knows them, day names, HH:MM times.
        Case(name: "quiet hours in an unknown time zone", json: quietHours(#"{"timeZone": "Australia/Sidney", "windows": [{"start": "22:00", "end": "07:00"}]}"#),
             path: "users[0].quietHours.timeZone", message: "unknown time zone 'Australia/Sidney' (did you mean 'Australia/Sydney'?); use an IANA name like 'Australia/Sydney'"),
        Case(name: "quiet hours without a time zone", json: quietHours(#"{"windows": [{"start": "22:00", "end": "07:00"}]}"#),
             path: "users[0].quietHours.timeZone", message: "missing required key 'timeZone'"),
        Case(name: "quiet hours without windows", json: quietHours(#"{"timeZone": "UTC", "windows": []}"#),
             path: "users[0].quietHours.windows", message: "quiet hours need at least one window"),
        Case(name: "unknown day", json: quietHours(#"{"timeZone": "UTC", "windows": [{"days": ["mon", "tues"], "start": "22:00", "end": "07:00"}]}"#),
             path: "users[0].quietHours.windows[0].days[1]", message: "unknown day 'tues' (did you mean 'tue'?); use one of mon, tue, wed, thu, fri, sat, sun"),
        Case(name: "empty day list", json: quietHours(#"{"timeZone": "UTC", "windows": [{"days": [], "start": "22:00", "end": "07:00"}]}"#),
             path: "users[0].quietHours.windows[0].days", message: "'days' must name at least one day (leave it out for every day)"),
        Case(name: "time without two-digit hour", json: quietHours(#"{"timeZone": "UTC", "windows": [{"start": "22:00", "end": "7:00"}]}"#),
             path: "users[0].quietHours.windows[0].end", message: "'7:00' is not a time of day; use HH:MM from 00:00 to 23:59 (24:00 for the end of a day)"),
        Case(name: "time past the end of the day", json: quietHours(#"{"timeZone": "UTC", "windows": [{"start": "24:30", "end": "07:00"}]}"#),
             path: "users[0].quietHours.windows[0].start", message: "'24:30' is not a time of day; use HH:MM from 00:00 to 23:59 (24:00 for the end of a day)"),
        Case(name: "window starting at 24:00", json: quietHours(#"{"timeZone": "UTC", "windows": [{"start": "24:00", "end": "07:00"}]}"#),
             path: "users[0].quietHours.windows[0].start", message: "a window cannot start at 24:00; use 00:00"),
        Case(name: "window of no length", json: quietHours(#"{"timeZone": "UTC", "windows": [{"start": "22:00", "end": "22:00"}]}"#),
             path: "users[0].quietHours.windows[0].end", message: "a window must end at a different time than it starts, found 22:00 for both"),
        Case(name: "window without an end", json: quietHours(#"{"timeZone": "UTC", "windows": [{"start": "22:00"}]}"#),
             path: "users[0].quietHours.windows[0].end", message: "missing required key 'end'"),
    ]

    @Test(arguments: escalationCases)
    func rejectsEscalationAndQuietHoursMistakesWithPreciseMessage(_ testCase: Case) {
        rejectsWithPreciseMessage(testCase)
    }

    @Test(arguments: cases)
    func rejectsWithPreciseMessage(_ testCase: Case) {
        let issues = TestConfig.issues(testCase.json).filter { $0.severity == .error }
        let match = issues.first { $0.path.description == testCase.path }
        #expect(match?.message == testCase.message, "issues: \(issues.map(\.description))")
    }

    @Test func reportsEveryErrorAtOnceWithLineAndColumn() {
        let json = """
        {
          "users": [
            {"id": "a", "rolez": []},
            {"id": "a"}
          ]
        }
        """
        let issues = TestConfig.issues(json)
        #expect(issues.map(\.description) == [
            "2:3: no business owner: mark exactly one user with \"owner\": true at users",
            "3:17: unknown key 'rolez' (did you mean 'roles'?) at users[0].rolez",
            "4:6: duplicate user id 'a' (first defined at users[0]) at users[1].id",
        ])
    }

    @Test func syntaxErrorHasLineAndColumn() {
        let issues = TestConfig.issues("{\n  \"users\": [\n    {\"id\": }\n  ]\n}")
        #expect(issues.count == 1)
        #expect(issues.first?.code == "json_syntax")
        #expect(issues.first?.position?.line == 3)
    }

    @Test func defaultRolesAreSeed003() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}]}"#)
        #expect(config.directory.roles.map(\.id) == ["admin", "manager", "team_member"])
        #expect(config.directory.users[0].roles == [config.directory.role("team_member")!])
    }
}

/// #17 item 4: rights a rule names that are declared through a wildcard grant, or by a
/// role as grantable only, are not typos.
struct RuleRightsDeclaredTests {
    @Test(arguments: [
        #"{"users": [{"id": "o", "owner": true, "rights": {"grant": ["reports.*"]}}], "roles": [{"id": "s", "additionalRights": ["reports.*"]}], "defaultRole": "s", "rules": [RULE]}"#,
        #"{"users": [{"id": "o", "owner": true}], "roles": [{"id": "s", "additionalRights": ["reports.view"]}], "defaultRole": "s", "rules": [RULE]}"#,
        #"{"users": [{"id": "o", "owner": true}], "roles": [{"id": "s", "recommendedRights": ["*"]}], "defaultRole": "s", "rules": [RULE]}"#,
    ])
    func declaredRightsLoad(_ template: String) throws {
        let rule = #"{"id": "r", "metric": "m", "requiredRights": ["reports.view"], "tiers": [{"threshold": 1, "notify": [{"owner": true}]}]}"#
        #expect(TestConfig.issues(template.replacingOccurrences(of: "RULE", with: rule)).filter { $0.severity == .error }.isEmpty)
    }
}
