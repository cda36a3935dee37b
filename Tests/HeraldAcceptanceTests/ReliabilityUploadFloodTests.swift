import Foundation
import Testing
import HeraldTestKit

/// #17 item 13 under load: many clients without a token each start a 4 MiB upload (the
/// default `maxBodyBytes`). They are refused from their headers, so the daemon never
/// buffers their bodies — its peak memory stays far below connections × 4 MiB — and a
/// client with a token keeps getting 202 throughout.
@Suite(.serialized)
struct ReliabilityUploadFloodTests {
    /// Uploading clients at once; without the early refusal they would make the daemon
    /// hold up to 4 MiB each (400 MiB).
    static let uploaders = 100
    /// The flood must not raise the daemon's peak RSS by more than this.
    static let peakGrowthLimitKiB = 64 * 1024

    @Test func unauthenticatedUploadsAreRefusedBeforeTheirBodies() throws {
        let herald = try ApiFixture.start()
        let before = try #require(Reliability.peakRSSKiB(pid: herald.pid))
        let body = Data(repeating: UInt8(ascii: " "), count: 4 << 20)
        let statuses = UploadResults()
        let group = DispatchGroup()
        for _ in 0..<Self.uploaders {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let connection = try? RawHTTPConnection(port: herald.port) else { return statuses.add(nil) }
                let head = "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                connection.send(Data(head.utf8) + body)   // fails part-way once the server closes
                statuses.add(try? connection.readResponse(timeout: 10).status)
            }
        }
        // Meanwhile a client with a token is served.
        var accepted = 0
        for index in 0..<20 {
            let response = try ApiFixture.postEvents(herald, ApiFixture.event(id: "flood-\(index)", value: 1, subject: "p-flood"))
            if response.status == 202 { accepted += 1 }
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        let after = try #require(Reliability.peakRSSKiB(pid: herald.pid))
        print("upload flood: \(Self.uploaders) unauthenticated 4 MiB uploads, statuses \(statuses.summary); valid 202s \(accepted)/20; peak RSS \(before) → \(after) KiB")
        #expect(accepted == 20)
        #expect(statuses.count(401) == Self.uploaders, "every upload is answered 401: \(statuses.summary)")
        #expect(after - before < Self.peakGrowthLimitKiB)
        #expect(try ApiFixture.metrics(herald)["herald_events_accepted_total"] == 20)
        #expect(herald.stop() == 0)
    }
}

/// Statuses seen by the uploading threads (nil: no response).
final class UploadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int?] = []
    func add(_ status: Int?) { lock.withLock { statuses.append(status) } }
    func count(_ status: Int) -> Int { lock.withLock { statuses.filter { $0 == status }.count } }
    var summary: String {
        lock.withLock { Dictionary(grouping: statuses, by: { $0.map(String.init) ?? "none" }).mapValues(\.count).description }
    }
}
