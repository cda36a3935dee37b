import Testing
import HeraldTestKit
@testable import HeraldCore

/// Relations, exclusion reasons, de-duplication and ordering.
struct RecipientResolverTests {
    static let json = """
    {
      "roles": [
        {"id": "manager", "recommendedRights": ["participants.view"]},
        {"id": "staff", "additionalRights": ["participants.view"]}
      ],
      "defaultRole": "staff",
      "users": [
        {"id": "o", "owner": true, "roles": ["manager"]},
        {"id": "m1", "roles": ["manager"]},
        {"id": "gone", "roles": ["manager"], "active": false},
        {"id": "coord", "rights": {"grant": ["participants.view"]}},
        {"id": "plain"}
      ]
    }
    """

    let config: HeraldConfig
    init() throws { config = try TestConfig.load(Self.json) }

    func resolve(_ selectors: [RecipientSelector], rights: [String] = ["participants.view"],
                 relations: [String: String] = [:]) -> Resolution {
        config.resolver.resolve(selectors, requiredRights: rights, event: TestEvent.make(value: 1, relations: relations))
    }

    func describe(_ resolution: Resolution) -> (told: [String], excluded: [String]) {
        let d = config.directory
        return (resolution.recipients.map { "\(d.users[$0.user].id) \($0.path.render(in: d, user: $0.user))" },
                resolution.excluded.map { "\($0.userID ?? "-") \($0.reason)" })
    }

    @Test func relationSelectsTheUserTheEventNames() {
        let result = describe(resolve([.relation("primary_coordinator")], relations: ["primary_coordinator": "coord"]))
        #expect(result.told == ["coord relation:primary_coordinator"])
        #expect(result.excluded.isEmpty)
    }

    /// A group the directory lacks (declared for SCIM, not pushed yet) or that has no
    /// members is named with the reason, never silently nobody.
    @Test func anAbsentOrEmptyGroupIsAnExclusion() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}], "groups": [{"id": "empty"}], "scim": {"groups": {"Night": "night"}}}"#)
        let resolution = config.resolver.resolve([.group("night"), .group("empty"), .owner], requiredRights: [], event: nil)
        #expect(resolution.recipients.map { config.directory.users[$0.user].id } == ["o"])
        #expect(resolution.excluded.map { "\($0.path.render(in: config.directory, user: 0)): \($0.reason)" } == [
            "group:night: group 'night' is not in the directory (not provisioned yet, or deleted)",
            "group:empty: group 'empty' has no members",
        ])
    }

    @Test func exclusionsNameTheReason() {
        let result = describe(resolve([.relation("primary_coordinator"), .relation("case_manager"), .role("manager", andAbove: false), .user("plain")],
                                      relations: ["primary_coordinator": "u-404"]))
        #expect(result.told == ["o role:manager", "m1 role:manager"])
        #expect(result.excluded == [
            "u-404 relation 'primary_coordinator' names unknown user 'u-404'",
            "- the event carries no relation 'case_manager'",
            "gone inactive",
            "plain lacks right 'participants.view'",
        ])
    }

    @Test func everyoneIsToldOnceWithTheFirstPath() {
        let result = describe(resolve([.user("m1"), .role("manager", andAbove: false), .owner, .group("manager")]))
        #expect(result.told == ["m1 user:m1", "o role:manager"])
    }

    @Test func requiredRightNobodyHoldsExcludesEveryone() {
        let result = describe(resolve([.owner], rights: ["secret.files"]))
        #expect(result.told.isEmpty)
        #expect(result.excluded == ["o lacks right 'secret.files'"])
    }
}

/// Exclusions are listed up to a bound and counted beyond it, so a big group whose
/// members mostly lack a right keeps resolution fast and audit rows small.
@Test func exclusionsBeyondTheBoundAreCounted() throws {
    let users = (0..<250).map { #"{"id": "u\#($0)"\#($0 == 0 ? #", "owner": true"# : "")\#($0 % 2 == 0 ? #", "roles": ["manager"]"# : "")}"# }
    let config = try TestConfig.load("""
    {"roles": [{"id": "manager", "recommendedRights": ["x.view"]}, {"id": "staff"}], "defaultRole": "staff",
     "users": [\(users.joined(separator: ","))], "groups": [{"id": "all", "roles": ["manager", "staff"]}]}
    """)
    let resolution = config.resolver.resolve([.group("all")], requiredRights: ["x.view"], event: nil)
    #expect(resolution.recipients.count == 125)
    #expect(resolution.excluded.count == RecipientResolver.maxListedExclusions)
    #expect(resolution.excludedOmitted == 25)
}
