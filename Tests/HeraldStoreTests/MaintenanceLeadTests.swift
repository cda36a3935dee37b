import Foundation
import Testing
@testable import HeraldStore

/// The maintenance lead, as the `StateStore` contract states it for one process: the
/// only process asking always leads, and keeps leading as it renews. (Several processes
/// on one PostgreSQL database: HeraldPostgresTests.)
struct MaintenanceLeadTests {
    @Test(arguments: StoreUnderTest.allCases) func theOnlyProcessLeadsAndKeepsLeading(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            #expect(try store.leadMaintenance("retention", for: 60))
            #expect(try store.leadMaintenance("retention", for: 60))
            #expect(try store.leadMaintenance("another-task", for: 0.001))
        }
    }
}

/// Config agreement, as the contract states it for one process: only its own hash.
struct ConfigAnnouncementTests {
    @Test(arguments: StoreUnderTest.allCases) func theOnlyProcessHearsOnlyItsOwnConfig(_ kind: StoreUnderTest) throws {
        try kind.withStore { (store) throws in
            #expect(try store.announceConfig("abc", liveWithin: 15) == ["abc"])
            #expect(try store.announceConfig("def", liveWithin: 15) == ["def"])   // a reload replaced it
        }
    }
}
