import Foundation
import Testing
import HeraldTestKit

/// The shipped example, served by the real binary: the seed events are accepted over
/// HTTP and arrive at a real receiver as signed webhooks.
@Suite(.serialized)
struct ServeSmokeTests {
    static let token = "test-token"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func seedExampleIsAcceptedAndDeliveredSigned() throws {
        let receiver = try PythonReceiver(secrets: [Self.secret])
        let config = try String(contentsOf: Fixtures.url("Config/example.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:9099/herald", with: receiver.url("/ok").absoluteString)
        let herald = try HeraldProcess(config: config, environment: ["HERALD_TOKEN": Self.token, "HERALD_WEBHOOK_SECRET": Self.secret])
        let events = try String(contentsOf: Fixtures.url("Config/example-events.json"), encoding: .utf8)
        let response = try HTTPClient.post(herald.url("/v1/events"), json: events, token: Self.token)
        #expect(response.status == 202)
        #expect(response.json["accepted"] as? Int == 5)
        #expect(response.json["notifications"] as? Int == 4)
        // firing, escalated, escalated, resolved: one batch webhook each.
        #expect(Poll.until(timeout: 10) { receiver.requests().count >= 4 })
        let received = receiver.requests()
        #expect(received.count == 4)
        #expect(received.allSatisfy { $0.verified_with == [0] })
        // Webhooks of one subject may arrive in any order (sent concurrently); the
        // notification id carries the notice number within the episode.
        let byID = received.sorted { ($0.json["id"] as? String ?? "") < ($1.json["id"] as? String ?? "") }
        #expect(byID.map { $0.json["transition"] as? String } == ["firing", "escalated", "escalated", "resolved"])
        #expect(Set(received.map { $0.headers["webhook-id"] ?? "" }).count == 4)
        #expect(herald.stop() == 0)
    }
}
