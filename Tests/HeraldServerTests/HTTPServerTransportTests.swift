import Dispatch
import Foundation
import FoundationNetworking
import HeraldServer
import HeraldSupport
import HeraldTestKit
import Testing

/// The transport's contract with handlers and clients: late answers, keep-alive, body limits.
@Suite struct HTTPServerTransportTests {
    /// The handler answers 80 ms later from another queue (as the daemon does after commit);
    /// a real client (URLSession/libcurl) receives exactly that answer, and it is counted.
    @Test func answerGivenLaterFromAnotherQueueReachesTheClient() async throws {
        let handler = ClosureHandler { request, respond in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(80)) {
                respond(.json(status: 202, ["accepted": request.body.count], routeLabel: "events"))
            }
        }
        let metrics = MetricsRegistry()
        try await withServer(handler, metrics: metrics) { server in
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.boundPort)/v1/events")!)
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"metric":"cpu"}"#.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 202)
            #expect(String(decoding: data, as: UTF8.self) == #"{"accepted":16}"#)
            #expect(metrics.value("herald_http_requests_total", [("route", "events"), ("status", "202")]) == 1)
        }
    }

    /// Two requests on one connection are both answered and the connection stays open:
    /// the server answers on a later MHD call than the first (which would close it).
    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        let handler = ClosureHandler { request, respond in respond(.text("hello \(request.path)")) }
        try await withServer(handler) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send(getRequest("/one"))
            let first = try connection.readResponse()
            connection.send(getRequest("/two"))
            let second = try connection.readResponse()
            #expect(first.status == 200)
            #expect(String(decoding: first.body, as: UTF8.self) == "hello /one")
            #expect(first.headers["connection"]?.lowercased() != "close")
            #expect(second.status == 200)
            #expect(String(decoding: second.body, as: UTF8.self) == "hello /two")
        }
    }

    /// An announced body over the limit is refused with 413 from the headers alone: the test
    /// never sends a body byte, and the handler never runs.
    @Test func oversizedContentLengthIsRefusedWithoutReadingTheBody() async throws {
        let handled = Locked(0)
        let handler = ClosureHandler { _, respond in
            handled.withValue { $0 += 1 }
            respond(.text("should not happen"))
        }
        try await withServer(handler, configure: { $0.maxRequestBodyBytes = 1000 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1001\r\n\r\n")
            let response = try connection.readResponse(timeout: 3)
            #expect(response.status == 413)
            #expect(response.errorBody == .init(error: "body_too_large",
                                                message: "request body exceeds the limit of 1000 bytes", details: []))
            #expect(handled.current == 0)
        }
    }

    /// A chunked upload (size not announced) over the limit is drained and answered 413 at
    /// the end; the handler never sees it.
    @Test func oversizedChunkedBodyIsDrainedAndRefused() async throws {
        let handled = Locked(0)
        let handler = ClosureHandler { _, respond in
            handled.withValue { $0 += 1 }
            respond(.text("should not happen"))
        }
        try await withServer(handler, configure: { $0.maxRequestBodyBytes = 1000 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: "a", count: 600)
            for _ in 0..<5 { connection.send("258\r\n\(chunk)\r\n") }   // 0x258 = 600 bytes, 3000 in all
            connection.send("0\r\n\r\n")
            let response = try connection.readResponse(timeout: 3)
            #expect(response.status == 413)
            #expect(response.errorBody?.error == "body_too_large")
            #expect(handled.current == 0)
        }
    }

    /// A chunked body within the limit arrives whole and de-chunked.
    @Test func chunkedBodyWithinLimitReachesTheHandler() async throws {
        let handler = ClosureHandler { request, respond in respond(.text("got \(request.body.count)")) }
        try await withServer(handler, configure: { $0.maxRequestBodyBytes = 1000 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
            let response = try connection.readResponse()
            #expect(String(decoding: response.body, as: UTF8.self) == "got 8")
        }
    }

    /// Query arguments are percent-decoded, header names lower-cased, the peer address known.
    @Test func requestCarriesDecodedQueryHeadersAndPeer() async throws {
        let seen = Locked<HTTPRequest?>(nil)
        let handler = ClosureHandler { request, respond in
            seen.withValue { $0 = request }
            respond(.text("ok"))
        }
        try await withServer(handler) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send("GET /v1/rules?subject=a%20b&x=1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: r-1\r\n\r\n")
            _ = try connection.readResponse()
            let request = try #require(seen.current)
            #expect(request.method == "GET")
            #expect(request.path == "/v1/rules")
            #expect(request.query == ["subject": "a b", "x": "1"])
            #expect(request.headers["x-request-id"] == "r-1")
            #expect(request.remoteAddress == "127.0.0.1")
        }
    }

    /// The client disconnects while its request is suspended; the late answer must neither
    /// crash nor leak: the connection and the request state are released afterwards.
    @Test func lateAnswerAfterClientDisconnectIsHarmless() async throws {
        let pending = Locked<HTTPResponder?>(nil)
        let handler = ClosureHandler { request, respond in
            if request.path == "/slow" { pending.withValue { $0 = respond } } else { respond(.text("fine")) }
        }
        try await withServer(handler) { server in
            do {
                let connection = try RawHTTPConnection(port: server.boundPort)
                connection.send(getRequest("/slow"))
                #expect(eventually { pending.current != nil })
            }   // connection closed here, request still suspended
            pending.current?(.text("too late"))
            #expect(eventually { server.openConnections == 0 })
            let again = try RawHTTPConnection(port: server.boundPort)
            again.send(getRequest("/fast"))
            #expect(try again.readResponse().status == 200)
        }
    }

    /// Only the first answer counts; a second call of the responder is ignored.
    @Test func secondAnswerIsIgnored() async throws {
        let handler = ClosureHandler { _, respond in
            respond(.text(status: 201, "first"))
            respond(.text(status: 500, "second"))
        }
        try await withServer(handler) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send(getRequest("/"))
            let response = try connection.readResponse()
            #expect(response.status == 201)
            #expect(String(decoding: response.body, as: UTF8.self) == "first")
        }
    }

    /// Route labels come from the handler (bounded); responses without one count as "other".
    @Test func requestsAreCountedByRouteLabel() async throws {
        var router = Router()
        router.add("GET", "/v1/rules/{id}") { request, respond in respond(.text(request.pathParameters["id"]!)) }
        let metrics = MetricsRegistry()
        try await withServer(router, metrics: metrics) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            for path in ["/v1/rules/a", "/v1/rules/b", "/nowhere"] {
                connection.send(getRequest(path))
                _ = try connection.readResponse()
            }
            #expect(metrics.value("herald_http_requests_total", [("route", "/v1/rules/{id}"), ("status", "200")]) == 2)
            #expect(metrics.value("herald_http_requests_total", [("route", "other"), ("status", "404")]) == 1)
            #expect(metrics.exposition().contains(#"herald_http_request_seconds_count{route="/v1/rules/{id}"} 2"#))
        }
    }
}

/// Malformed framing is refused (by MHD itself, with its own HTML page) before the handler sees it.
@Suite struct MalformedRequestTests {
    @Test func unparsableContentLengthIs400() async throws {
        let handled = Locked(0)
        let handler = ClosureHandler { _, respond in
            handled.withValue { $0 += 1 }
            respond(.text("should not happen"))
        }
        try await withServer(handler) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
            let response = try connection.readResponse(timeout: 3)
            #expect(response.status == 400)
            #expect(handled.current == 0)
        }
    }
}
