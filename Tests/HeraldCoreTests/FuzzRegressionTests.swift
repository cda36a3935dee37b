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

/// Hostile event bodies found by the reliability suite, pinned at the decoder.
struct FuzzEventRegressionTests {
    /// `{"value": 1, "value": 50}` was accepted with the last value (Foundation's
    /// choice), while a proxy or the producer's own validation may read the first: the
    /// same bytes would mean two things. Now refused (422) naming each repeated key.
    @Test func duplicateKeysAreRefusedWithTheirPaths() throws {
        let data = try Fixtures.data("Fuzz/corpus/event/regression-duplicate-keys-in-batch.json")
        do {
            _ = try EventDecoder().decode(data)
            Issue.record("accepted an event with duplicate keys")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.problems.map(\.path) == ["events[1].value", "events[1].subject.id"])
        }
    }

    /// Equal keys in different objects are not duplicates.
    @Test func equalKeysInSiblingObjectsAreAccepted() throws {
        let events = try EventDecoder().decode(Data(#"{"events": [{"metric": "m", "value": 1, "subject": {"id": "a"}}, {"metric": "m", "value": 2, "subject": {"id": "b"}}]}"#.utf8))
        #expect(events.map(\.value) == [1, 2])
    }
}
