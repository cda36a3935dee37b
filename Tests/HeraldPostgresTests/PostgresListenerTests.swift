import Foundation
import HeraldStore
import HeraldTestKit
import Testing
@testable import HeraldPostgres

/// LISTEN/NOTIFY wake-ups (issue #20 guarantee 6): silence and SCIM writes that changed
/// something notify every instance's listener when they commit, a write that changed
/// nothing does not, and a listener whose connection broke (the database restarted)
/// listens again by itself.
struct PostgresListenerTests {
    static func silence(_ id: String) -> SilenceRecord {
        let now = Date()
        return SilenceRecord(id: id, body: Data("{}".utf8), startsAt: now, endsAt: now.addingTimeInterval(3600), createdAt: now)
    }

    static func scimChange(_ id: String) -> ScimChangeRecord {
        ScimChangeRecord(upserts: [ScimResourceRecord(kind: "User", id: id, body: Data("{}".utf8), updatedAt: Date())],
                         audit: DirectoryAuditRecord(at: Date(), actor: "idp", operation: "create", kind: "User", resourceID: id,
                                                     detail: Data("{}".utf8)))
    }

    @Test func writesWakeTheListenersAndAListenerReconnectsAfterARestart() throws {
        let server = try TemporaryPostgres.start()   // its own: this test restarts it
        defer { server.stop() }
        let database = try server.createDatabase()
        let (listening, writing) = (try PostgresStore(url: database.url, connections: 1), try PostgresStore(url: database.url, connections: 1))
        let heard = HeardBox()
        let listener = listening.makeListener { heard.add($0) }
        listener.start()
        defer { listener.stop() }

        // Until the listener's LISTEN has run, notifications pass it by: write until one is heard.
        var written = 0
        #expect(Poll.until(timeout: 15) {
            written += 1
            _ = try? writing.addSilence(Self.silence("s\(written)"))
            return heard.changes.contains(.silences)
        })
        // Notifications arrive in commit order: once a later SCIM change is heard, those of
        // the loop's writes are in too.
        try writing.saveScimChange(Self.scimChange("zed"))
        #expect(Poll.until(timeout: 10) { heard.changes.contains(.directory) })
        heard.clear()
        // Nothing changed: no notification (had it sent one, it would come first).
        #expect(try !writing.addSilence(Self.silence("s1")))
        try writing.saveScimChange(Self.scimChange("ann"))
        #expect(Poll.until(timeout: 10) { !heard.changes.isEmpty })
        #expect(heard.changes == [.directory])
        heard.clear()
        #expect(try writing.deleteSilence(id: "s1"))
        #expect(Poll.until(timeout: 10) { heard.changes == [.silences] })

        // The database restarts: the listener connects again (after its reconnect delay).
        try server.restart()
        heard.clear()
        #expect(Poll.until(timeout: 30) {
            written += 1
            _ = try? writing.addSilence(Self.silence("s\(written)"))
            return heard.changes.contains(.silences)
        })
    }
}

/// Changes heard by a listener, from its thread.
final class HeardBox: @unchecked Sendable {
    private let lock = NSLock()
    private var heard: [PostgresChange] = []
    func add(_ change: PostgresChange) { lock.withLock { heard.append(change) } }
    func clear() { lock.withLock { heard.removeAll() } }
    var changes: [PostgresChange] { lock.withLock { heard } }
}
