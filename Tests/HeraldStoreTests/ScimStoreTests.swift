import Foundation
import HeraldSupport
import Testing
@testable import HeraldStore

/// SCIM resources and the directory audit: one transaction per change, first-stored
/// order kept across updates, deletions, and a version 3 database migrating forward.
struct ScimStoreTests {
    static func user(_ id: String, _ body: String = "{}", at time: Double = 0) -> ScimResourceRecord {
        ScimResourceRecord(kind: "User", id: id, body: Data(body.utf8), updatedAt: at(time))
    }

    static func audit(_ operation: String, _ id: String, kind: String = "User") -> DirectoryAuditRecord {
        DirectoryAuditRecord(at: at(1), actor: "idp", operation: operation, kind: kind, resourceID: id, detail: Data("{}".utf8))
    }

    @Test func changesKeepFirstStoredOrderAndEachIsAudited() throws {
        try withStore { store, _ in
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("ann")], audit: Self.audit("create", "ann")))
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("bob")], audit: Self.audit("create", "bob")))
            let group = ScimResourceRecord(kind: "Group", id: "g1", body: Data("{}".utf8), updatedAt: at(2))
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("ann", #"{"active": false}"#, at: 3), group],
                                                      audit: Self.audit("patch", "ann")))
            // Ann was updated after Bob was created, and still comes first.
            #expect(try store.scimResources().map { "\($0.kind)/\($0.id)" } == ["User/ann", "User/bob", "Group/g1"])
            #expect(try store.scimResources().first?.body == Data(#"{"active": false}"#.utf8))
            try store.saveScimChange(ScimChangeRecord(upserts: [], deletes: [(kind: "Group", id: "g1")], audit: Self.audit("delete", "g1", kind: "Group")))
            #expect(try store.scimResources().map(\.id) == ["ann", "bob"])
            #expect(try store.directoryAudit(limit: 10).map { "\($0.operation) \($0.resourceID) by \($0.actor)" }
                    == ["delete g1 by idp", "patch ann by idp", "create bob by idp", "create ann by idp"])
        }
    }

    /// The directory version moves with every stored SCIM change (the signal other
    /// instances poll), and only then; a store several processes share says so.
    @Test(arguments: StoreUnderTest.allCases)
    func theDirectoryVersionMovesWithEveryStoredChange(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            #expect(store.isShared == (kind == .postgresql))
            let start = try store.directoryVersion()
            #expect(try store.directoryVersion() == start)
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("ann")], audit: Self.audit("create", "ann")))
            let afterOne = try store.directoryVersion()
            #expect(afterOne != start)
            try store.saveScimChanges([
                ScimChangeRecord(upserts: [Self.user("bob")], audit: Self.audit("create", "bob")),
                ScimChangeRecord(upserts: [], deletes: [(kind: "User", id: "ann")], audit: Self.audit("delete", "ann")),
            ])
            #expect(try store.directoryVersion() != afterOne)
            #expect(try store.directoryVersion() != start)
            // Other writes leave it alone.
            let before = try store.directoryVersion()
            try store.addSilence(SilenceRecord(id: "s1", body: Data("{}".utf8), startsAt: at(0), endsAt: at(60), createdAt: at(0)))
            #expect(try store.directoryVersion() == before)
        }
    }

    /// Group commit: several requests' changes in one transaction keep their order and
    /// each its audit record, exactly as if saved one by one.
    @Test(arguments: StoreUnderTest.allCases)
    func severalChangesAreSavedInOrderInOneCall(_ kind: StoreUnderTest) throws {
        try kind.withStore { store in
            let group = ScimResourceRecord(kind: "Group", id: "g1", body: Data("{}".utf8), updatedAt: at(2))
            try store.saveScimChanges([
                ScimChangeRecord(upserts: [Self.user("ann")], audit: Self.audit("create", "ann")),
                ScimChangeRecord(upserts: [Self.user("bob"), group], audit: Self.audit("create", "bob")),
                ScimChangeRecord(upserts: [Self.user("ann", #"{"active": false}"#, at: 3)], deletes: [(kind: "Group", id: "g1")],
                                 audit: Self.audit("patch", "ann")),
            ])
            try store.saveScimChanges([])
            #expect(try store.scimResources().map { "\($0.kind)/\($0.id)" } == ["User/ann", "User/bob"])
            #expect(try store.scimResources().first?.body == Data(#"{"active": false}"#.utf8))
            #expect(try store.directoryAudit(limit: 10).map { "\($0.operation) \($0.resourceID)" } == ["patch ann", "create bob", "create ann"])
        }
    }

    /// All or nothing: when the last change of a group cannot be written (the disk is
    /// full), the ones before it are not kept either, so no client got a 201 for them.
    @Test func aGroupThatFailsKeepsNothing() throws {
        try withStore { store, _ in
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("zoe")], audit: Self.audit("create", "zoe")))
            try store.setMaxPageCountForTesting(1)
            let huge = ScimResourceRecord(kind: "User", id: "big", body: Data(repeating: 0x20, count: 4 << 20), updatedAt: at(1))
            #expect(throws: StoreError.self) {
                try store.saveScimChanges([ScimChangeRecord(upserts: [Self.user("ann")], audit: Self.audit("create", "ann")),
                                           ScimChangeRecord(upserts: [huge], audit: Self.audit("create", "big"))])
            }
            #expect(try store.scimResources().map(\.id) == ["zoe"])
            #expect(try store.directoryAudit(limit: 10).map(\.resourceID) == ["zoe"])
        }
    }

    /// SCIM group commit reuses the ingest's `GroupWriter`: changes submitted at once
    /// from many threads all complete, all are stored with their audit, in far fewer
    /// transactions than changes (one fsync per group).
    @Test func concurrentScimChangesShareTransactions() throws {
        try withStore(synchronous: .full) { (store, _) throws in
            let writer = GroupWriter<ScimChangeRecord>(metrics: MetricsRegistry(), names: .events) { (changes) throws(StoreError) in
                try store.saveScimChanges(changes)
            }
            let tally = CompletionTally()
            let threads = 8, perThread = 50, total = threads * perThread
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for i in 0..<perThread {
                    let id = "u\(thread)-\(i)"
                    try? writer.submit(ScimChangeRecord(upserts: [Self.user(id)], audit: Self.audit("create", id)), completion: tally.completion)
                }
            }
            #expect(tally.wait(for: total))
            #expect(tally.successes == total)
            #expect(try store.scimResources().count == total)
            #expect(try store.directoryAudit(limit: 500).count == total)
            #expect(writer.transactionCount >= 1 && writer.transactionCount <= total / 10, "\(writer.transactionCount) transactions")
        }
    }

    @Test func aVersionThreeDatabaseGainsTheScimTables() throws {
        try withTemporaryDirectory { (directory) throws in
            do {
                let old = try SQLiteStore(directory: directory, synchronous: .normal, metrics: nil, schemaVersion: 3)
                #expect(try !old.tableNamesForTesting().contains("scim_resource"))
            }
            let store = try SQLiteStore(directory: directory)
            #expect(try store.tableNamesForTesting().isSuperset(of: ["scim_resource", "directory_audit"]))
            try store.saveScimChange(ScimChangeRecord(upserts: [Self.user("ann")], audit: Self.audit("create", "ann")))
            #expect(try store.scimResources().map(\.id) == ["ann"])
        }
    }
}
