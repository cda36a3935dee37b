import Foundation
import Testing
import HeraldCore
import HeraldTestKit

/// Crash inputs the fuzzers found, each pinned to the precise refusal it now gets.
/// (The inputs themselves are also in Fuzz/corpus/, replayed by FuzzCorpusReplayTests.)
struct FuzzRegressionTests {
    static func issues(_ file: String) throws -> [ConfigIssue] {
        let data = try Fixtures.data("Fuzz/corpus/config/\(file)")
        do {
            _ = try ConfigLoader.load(data)
            return []
        } catch {
            return error.issues
        }
    }

    /// `"retrySchedule": ["999999999999999999d"]` was accepted and trapped converting to
    /// `Int` when the duration was printed; a 400-digit `connectionTimeout` parsed as
    /// infinity and `herald serve` (or a SIGHUP reload) died converting it to seconds.
    @Test func hugeDurationsAreRefusedWithTheirPlace() throws {
        let retry = try Self.issues("regression-huge-retry-delay.json")
        #expect(retry.map(\.code) == ["out_of_range"])
        #expect(retry.first?.path.description == "targets[0].retrySchedule[0]")
        #expect(retry.first?.message == "'999999999999999999d' is longer than the longest allowed duration, 3650d")
        let timeout = try Self.issues("regression-infinite-connection-timeout.json")
        #expect(timeout.map(\.code) == ["out_of_range"])
        #expect(timeout.first?.path.description == "server.connectionTimeout")
    }

    /// The longest allowed duration itself is still accepted.
    @Test func theLongestDurationIsAccepted() throws {
        let config = try TestConfig.load(#"{"users": [{"id": "o", "owner": true}], "server": {"idempotencyWindow": "3650d"}}"#)
        #expect(config.server.idempotencyWindow == Duration.maximum)
    }
}
