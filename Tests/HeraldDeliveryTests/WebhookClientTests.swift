import Dispatch
import Foundation
import Testing
import HeraldTestKit
@testable import HeraldDelivery

/// The curl client against a real Python receiver on loopback. Each test starts its own
/// receiver and client and stops both at the end.
@Suite struct WebhookClientTests {
    /// Sends and waits (bounded) for the one response.
    static func send(_ client: WebhookClient, _ request: WebhookRequest, timeout: TimeInterval = 10) -> WebhookResponse? {
        let responses = Collector<WebhookResponse>()
        client.send(request) { responses.append($0) }
        return responses.wait(for: 1, timeout: timeout).first
    }

    @Test func headersAndBodyArriveAsSent() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2); receiver.stop() }
        let body = Data("{\"a\":1,\"nul\":\"\u{0}\",\"é\":true}".utf8)
        let request = WebhookRequest(url: receiver.url("/ok"), headers: [("X-Herald-Test", "yes"), ("Content-Type", "application/json")],
                                     body: body)
        let response = try #require(Self.send(client, request))
        #expect(response.status == 200)
        #expect(response.error == nil)
        #expect(response.excerpt == Data("ok".utf8))
        let received = try #require(receiver.requests().first)
        #expect(received.bodyData == body)
        #expect(received.headers["x-herald-test"] == "yes")
        #expect(received.headers["content-type"] == "application/json")
        #expect(received.headers["expect"] == nil)
    }

    @Test func sequentialSendsReuseOneConnectionAndHandle() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2); receiver.stop() }
        for index in 0..<5 {
            let response = Self.send(client, WebhookRequest(url: receiver.url("/ok"), headers: [], body: Data("\(index)".utf8)))
            #expect(response?.status == 200)
        }
        let requests = receiver.requests()
        #expect(requests.count == 5)
        #expect(Set(requests.map(\.connection)).count == 1)
        #expect(client.easyHandlesCreated == 1)
    }

    @Test func responseBodyIsCappedToTheExcerpt() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2); receiver.stop() }
        // A body past the drain limit is cut, yet the status stands.
        let big = try #require(Self.send(client, WebhookRequest(url: receiver.url("/big?bytes=1048576"), headers: [], body: Data())))
        #expect(big.status == 200)
        #expect(big.error == nil)
        #expect(big.excerpt.count == CurlEasy.excerptLimit)
        // A body between excerpt and drain limit is read to its end and the connection kept.
        let medium = try #require(Self.send(client, WebhookRequest(url: receiver.url("/big?bytes=10000"), headers: [], body: Data())))
        #expect(medium.status == 200)
        #expect(medium.excerpt.count == CurlEasy.excerptLimit)
    }

    @Test func slowResponseTimesOut() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2); receiver.stop() }
        let response = try #require(Self.send(client, WebhookRequest(url: receiver.url("/slow?ms=3000"), headers: [], body: Data(),
                                                                     connectTimeout: 1, timeout: 0.3)))
        guard case .timeout? = response.error else {
            Issue.record("expected a timeout, got \(String(describing: response.error))")
            return
        }
    }

    @Test func refusedConnectionIsAConnectError() throws {
        let receiver = try PythonReceiver()
        let url = receiver.url("/ok")
        receiver.stop()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2) }
        let response = try #require(Self.send(client, WebhookRequest(url: url, headers: [], body: Data())))
        #expect(response.status == nil)
        guard case .connect? = response.error else {
            Issue.record("expected a connect error, got \(String(describing: response.error))")
            return
        }
    }

    @Test func redirectsAreNotFollowedAndRetryAfterIsCaptured() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2); receiver.stop() }
        let redirect = try #require(Self.send(client, WebhookRequest(url: receiver.url("/redirect"), headers: [], body: Data())))
        #expect(redirect.status == 302)
        let limited = try #require(Self.send(client, WebhookRequest(url: receiver.url("/status/429?retry_after=120"), headers: [], body: Data())))
        #expect(limited.status == 429)
        #expect(limited.retryAfter == "120")
        #expect(receiver.requests().map(\.path) == ["/redirect", "/status/429"])
    }

    @Test func invalidRequestsFailWithoutSending() throws {
        let client = try WebhookClient()
        defer { client.shutdown(deadline: .now() + 2) }
        let ftp = Self.send(client, WebhookRequest(url: URL(string: "ftp://127.0.0.1/x")!, headers: [], body: Data()))
        let injected = Self.send(client, WebhookRequest(url: URL(string: "http://127.0.0.1:9/x")!,
                                                        headers: [("X-A", "1\r\nX-Injected: 2")], body: Data()))
        for response in [ftp, injected] {
            guard case .invalidRequest? = response?.error else {
                Issue.record("expected invalidRequest, got \(String(describing: response?.error))")
                continue
            }
        }
    }

    @Test func shutdownAbortsTransfersPastTheDeadline() throws {
        let receiver = try PythonReceiver()
        let client = try WebhookClient()
        defer { receiver.stop() }
        let responses = Collector<WebhookResponse>()
        client.send(WebhookRequest(url: receiver.url("/slow?ms=5000"), headers: [], body: Data(), timeout: 10)) { responses.append($0) }
        client.send(WebhookRequest(url: receiver.url("/ok"), headers: [], body: Data())) { responses.append($0) }
        // Wait until the fast one is done, so the slow one is surely in flight.
        _ = responses.wait(for: 1, timeout: 5)
        let started = Date()
        client.shutdown(deadline: .now() + .milliseconds(200))
        #expect(Date().timeIntervalSince(started) < 3)
        let all = responses.wait(for: 2, timeout: 5)
        #expect(all.count == 2)
        #expect(all.contains { $0.status == 200 })
        #expect(all.contains { $0.error == .aborted })
        // After shutdown, sends are refused with `.aborted` instead of hanging.
        #expect(Self.send(client, WebhookRequest(url: receiver.url("/ok"), headers: [], body: Data()))?.error == .aborted)
    }
}
