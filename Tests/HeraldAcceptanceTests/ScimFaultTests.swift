import Foundation
import Testing
import HeraldTestKit

/// SCIM group commit when the store fails: the state directory is a 2 MiB tmpfs that
/// fills while four workers provision at once. Every answer is 201 or 503; what SCIM
/// shows afterwards is exactly what was answered 201 (changes checked against a refused
/// one are refused too, and the working copy is re-read from the store); when the tmpfs
/// grows SCIM accepts again without a restart; after kill -9 the same users are there.
struct ScimFaultTests {
    /// Users each worker tries at most (bounded whatever the disk does).
    static let maxUsersPerWorker = 40
    static let workers = 4

    /// A user whose body is ≈ 50 KB (50 e-mail values of 1,000 bytes): stored twice (the
    /// resource and its audit record), so the 2 MiB tmpfs fills after a few dozen.
    static func bulkyUser(_ name: String) -> String {
        let padding = String(repeating: "x", count: 980)
        let emails = (0..<50).map { #"{"value": "\#(name)-\#($0)-\#(padding)"}"# }.joined(separator: ",")
        return #"{"userName": "\#(name)", "emails": [\#(emails)]}"#
    }

    @Test(.enabled(if: ReliabilityFaultTests.canMount, "needs root to mount a tmpfs"))
    func aFullStoreRefusesChangesAndScimShowsOnlyWhatWasAnswered() throws {
        let herald = try HeraldProcess(config: ScimAcceptanceTests.config,
                                       environment: ["SCIM_TOKEN": ScimAcceptanceTests.idpToken, "OPS_TOKEN": ScimAcceptanceTests.opsToken], start: false)
        let state = herald.stateDirectory.path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try #require(ReliabilityFaultTests.mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", state]))
        defer {
            herald.crash()
            ReliabilityFaultTests.run("/bin/umount", [state])
        }
        try herald.start()
        let answers = LockedList<(name: String, status: Int)>()
        DispatchQueue.concurrentPerform(iterations: Self.workers) { worker in
            var refused = 0
            for i in 0..<Self.maxUsersPerWorker where refused < 3 {
                let name = "w\(worker)-\(i)"
                let status = (try? ScimAcceptanceTests.scim(herald, "POST", "Users", Self.bulkyUser(name)))?.status ?? 0
                answers.append((name, status))
                if status == 503 { refused += 1 }
            }
        }
        let created = answers.values.filter { $0.status == 201 }.map(\.name)
        let refused = answers.values.filter { $0.status == 503 }.map(\.name)
        #expect(Set(answers.values.map(\.status)).isSubset(of: [201, 503]), "\(answers.values.map(\.status))")
        #expect(!refused.isEmpty, "the 2 MiB store never filled")
        #expect(!created.isEmpty)
        try expectScimShows(herald, created: created, refused: refused)

        // More room: accepted again without a restart.
        #expect(ReliabilityFaultTests.mount(["-o", "remount,size=64m", state]))
        let after = try ScimAcceptanceTests.scim(herald, "POST", "Users", #"{"userName": "after-growth"}"#)
        #expect(after.status == 201, "\(after.text)")

        herald.crash()
        try herald.start()
        try expectScimShows(herald, created: created + ["after-growth"], refused: refused)
    }

    /// Every user answered 201 is there, every user answered 503 is not.
    private func expectScimShows(_ herald: HeraldProcess, created: [String], refused: [String]) throws {
        for name in created {
            #expect(try ScimAcceptanceTests.scim(herald, "GET", "Users/\(name)?attributes=userName").status == 200, "\(name) was answered 201")
        }
        for name in refused {
            #expect(try ScimAcceptanceTests.scim(herald, "GET", "Users/\(name)?attributes=userName").status == 404, "\(name) was answered 503")
        }
        let total = try ScimAcceptanceTests.scim(herald, "GET", "Users?count=0").json["totalResults"] as? Int
        #expect(total == created.count)
    }
}
