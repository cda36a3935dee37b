import Foundation
import HeraldCore

/// One SCIM-style change applied to a 100,000-user directory (issue 18: ≤ 5 ms p50),
/// against the full rebuild it replaces, measured in the same run.
///
///     herald-bench directory-change [USERS]
enum DirectoryChangeBench {
    static let defaultUsers = 100_000
    /// Changes timed; each is a different user so no change repeats an earlier one.
    static let changes = 400
    /// Full builds timed for the baseline (each ≈ 1 s at 100,000 users).
    static let rebuilds = 3

    /// The generated directory of LargeDirectoryTests: every 100th user a manager, every
    /// 1,000th an admin, 5,000 groups of which 10 have 10,000 members, some nested.
    static func document(users userCount: Int) -> ConfigDocument {
        var users = (0..<userCount).map { i in
            UserDefinition(id: "user-\(i)@example.org", roles: i % 100 == 0 ? ["manager"] : (i % 1000 == 1 ? ["admin"] : []), isOwner: i == 0)
        }
        users[5] = UserDefinition(id: "user-5@example.org", active: false)
        let groupCount = max(1, userCount / 20)
        let groups = (0..<groupCount).map { g -> GroupDefinition in
            let size = min(g % 500 == 0 ? 10_000 : 20, userCount)
            let start = (g * 20) % max(1, userCount - size)
            let nested = g % 10 == 0 && g + 1 < groupCount ? ["g\(g + 1)"] : []
            return GroupDefinition(id: "g\(g)", members: (start..<(start + size)).map { "user-\($0)@example.org" }, groups: nested,
                                   roles: g == 7 ? ["manager"] : [])
        }
        return ConfigDocument(users: users, groups: groups)
    }

    static func run(_ arguments: [String]) -> Int32 {
        let userCount = arguments.first.flatMap(Int.init) ?? defaultUsers
        let document = document(users: userCount)
        var rebuildTimes: [UInt64] = []
        var config: HeraldConfig?
        for _ in 0..<rebuilds {
            let start = Measure.nanoseconds()
            config = try? HeraldConfig.compile(document)
            rebuildTimes.append(Measure.nanoseconds() - start)
        }
        guard var directory = config?.directory else {
            print("directory-change: the generated directory does not compile")
            return 1
        }
        // Alternate the kinds IdPs send: a new user, a deactivation, a role change.
        var times: [UInt64] = []
        for i in 0..<changes {
            var user: UserDefinition
            switch i % 3 {
            case 0: user = UserDefinition(id: "scim-\(i)@example.org", name: "New \(i)", roles: ["manager"])
            case 1: user = UserDefinition(id: "scim-\(i - 1)@example.org", name: "New \(i - 1)", active: false, roles: ["manager"])
            default: user = UserDefinition(id: "scim-\(i - 2)@example.org", name: "New \(i - 2)", roles: ["admin"])
            }
            user.source = .scim
            let start = Measure.nanoseconds()
            do {
                directory = try directory.applying([.putUser(user)])
            } catch {
                print("directory-change: \(error)")
                return 1
            }
            times.append(Measure.nanoseconds() - start)
            Sink.shared.consume(directory.users.count)
        }
        let samples = Samples(nanoseconds: times)
        let rebuild = Samples(nanoseconds: rebuildTimes)
        print(String(format: "directory change, %d users + %d groups: p50 %.3f ms, p90 %.3f ms, max %.3f ms over %d changes; full rebuild p50 %.0f ms (%.0f× the change)",
                     userCount, document.groups.count, samples.quantile(0.5) / 1000, samples.quantile(0.9) / 1000,
                     samples.quantile(1) / 1000, times.count, rebuild.quantile(0.5) / 1000,
                     rebuild.quantile(0.5) / max(samples.quantile(0.5), 0.001)))
        return 0
    }
}
