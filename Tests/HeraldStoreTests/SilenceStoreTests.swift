import Foundation
import Testing
@testable import HeraldStore

/// Silences in the store (the `StateStore` contract, run against every `StoreUnderTest`,
/// and the SQLite migration): added once per id, listed newest first, filtered to those not
/// yet ended, expired by rewriting, deleted, and brought by migration 3 to an older file.
@Suite struct SilenceStoreTests {
    func silence(_ id: String, starts: Double = 0, ends: Double = 3600, created: Double = 0) -> SilenceRecord {
        SilenceRecord(id: id, body: Data(#"{"id":"\#(id)"}"#.utf8), startsAt: at(starts), endsAt: at(ends), createdAt: at(created))
    }

    @Test(arguments: StoreUnderTest.allCases) func addedSilencesAreListedNewestFirstAndAnIdIsNeverReplaced(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            #expect(try store.addSilence(silence("s-1", created: 10)))
            #expect(try store.addSilence(silence("s-2", created: 20)))
            // Same id again: refused, the first one stays as it was.
            #expect(try !store.addSilence(silence("s-1", ends: 99, created: 30)))
            #expect(try store.silences().map(\.id) == ["s-2", "s-1"])
            #expect(try store.silence(id: "s-1") == silence("s-1", created: 10))
            #expect(try store.silence(id: "nope") == nil)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func onlySilencesNotEndedAreListedForMatching(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            try store.addSilence(silence("ended", starts: 0, ends: 100))
            try store.addSilence(silence("running", starts: 0, ends: 500))
            try store.addSilence(silence("future", starts: 1000, ends: 2000))
            // Ends exactly at the cutoff: over (the end is exclusive).
            #expect(Set(try store.silences(endingAfter: at(100)).map(\.id)) == ["running", "future"])
            #expect(Set(try store.silences(endingAfter: at(99)).map(\.id)) == ["ended", "running", "future"])
            #expect(try store.silences().count == 3)
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func expiringRewritesBodyAndTimesButKeepsTheCreationTime(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            try store.addSilence(silence("s-1", starts: 0, ends: 3600, created: 5))
            var expired = silence("s-1", starts: 0, ends: 60, created: 999)
            expired.body = Data(#"{"id":"s-1","expired":true}"#.utf8)
            #expect(try store.replaceSilence(expired))
            let stored = try #require(try store.silence(id: "s-1"))
            #expect(stored.endsAt == at(60))
            #expect(stored.body == expired.body)
            #expect(stored.createdAt == at(5))
            #expect(try store.silences(endingAfter: at(60)).isEmpty)
            #expect(try !store.replaceSilence(silence("missing")))
        }
    }

    @Test(arguments: StoreUnderTest.allCases) func deletingRemovesOnlyThatSilence(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            try store.addSilence(silence("s-1"))
            try store.addSilence(silence("s-2"))
            #expect(try store.deleteSilence(id: "s-1"))
            #expect(try !store.deleteSilence(id: "s-1"))
            #expect(try store.silences().map(\.id) == ["s-2"])
        }
    }

    @Test func versionTwoDatabaseGainsTheSilencesTableKeepingItsData() throws {
        try withTemporaryDirectory { (directory) throws in
            do {
                let old = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil, schemaVersion: 2)
                #expect(try !old.tableNamesForTesting().contains("silences"))
                try old.executeForTesting("""
                    INSERT INTO rule_state (rule_id, subject_id, state) VALUES ('r1', 's1', CAST('{"tier":"warning"}' AS BLOB))
                    """)
            }
            let store = try SQLiteStore(directory: directory)
            #expect(try store.schemaVersion() == SQLiteStore.latestSchemaVersion)
            #expect(try store.tableNamesForTesting().contains("silences"))
            #expect(try store.loadRuleStates() == [ruleState("r1", "s1", revision: 1)])
            #expect(try store.addSilence(silence("s-1")))
        }
    }
}
