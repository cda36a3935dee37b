import Foundation
import Testing
@testable import HeraldCore

/// A generated directory of 100,000 users and 5,000 groups (some nested, some with
/// 10,000 members) loads and indexes, and resolution over it is correct. No timing
/// assertion: speed is measured by the benchmark programs.
struct LargeDirectoryTests {
    static func document() -> ConfigDocument {
        let userCount = 100_000
        var users = (0..<userCount).map { i in
            UserDefinition(id: "u\(i)", roles: i % 100 == 0 ? ["manager"] : (i % 1000 == 1 ? ["admin"] : []),
                           isOwner: i == 0)
        }
        users[5] = UserDefinition(id: "u5", active: false)
        var groups: [GroupDefinition] = []
        for g in 0..<5_000 {
            // Every 500th group is big (10,000 members); every 10th nests the next group.
            let size = g % 500 == 0 ? 10_000 : 20
            let start = (g * 20) % (userCount - size)
            let members = (start..<(start + size)).map { "u\($0)" }
            let nested = g % 10 == 0 && g + 1 < 5_000 ? ["g\(g + 1)"] : []
            groups.append(GroupDefinition(id: "g\(g)", members: members, groups: nested, roles: g == 7 ? ["admin"] : []))
        }
        let rule = Rule(id: "r", metric: "m", tiers: [Tier(name: "t", threshold: 1, notify: [.group("g0"), .role("manager", andAbove: true)])])
        return ConfigDocument(users: users, groups: groups, rules: [rule])
    }

    @Test func loadsAndResolves() throws {
        let config = try HeraldConfig.compile(Self.document())
        let d = config.directory
        #expect(d.users.count == 100_000)
        #expect(d.groups.count == 5_003)  // 3 role-derived + 5,000 custom
        // g0 has 10,000 direct members plus g1's 20 nested ones (which overlap g0's range).
        let g0 = d.members(ofGroup: d.group("g0")!)
        #expect(g0.count == 10_000)
        let g10 = d.members(ofGroup: d.group("g10")!)
        #expect(Set(g10) == Set((200..<220).map { $0 } + (220..<240).map { $0 }))
        let resolution = config.resolver.resolve(config.rules[0].tiers[0].notify, requiredRights: [], event: nil)
        // 10,000 members of g0 + 1,000 managers + 100 admins (andAbove) − overlaps − 1 inactive.
        let expected = Set(0..<10_000).union(stride(from: 0, to: 100_000, by: 100)).union(stride(from: 1, to: 100_000, by: 1000)).subtracting([5])
        #expect(Set(resolution.recipients.map(\.user)) == expected)
        #expect(resolution.recipients.count == expected.count)
        #expect(resolution.excluded.map(\.userID) == ["u5"])
    }
}
