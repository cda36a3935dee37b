import Foundation
import HeraldServer
import HeraldSupport
import HeraldTestKit
import Testing

/// #17 item 13: a request that will be refused is refused from its head, before any body
/// byte is read. Each case announces a 4 MiB body and sends none of it: the answer must
/// come anyway (without the early refusal the server waits for the body and times out).
@Suite struct RefuseBeforeBodyTests {
    struct Tokens: TokenVerifier {
        func scopes(for token: String) -> Set<String>? { token == "writer-secret" ? ["events:write"] : nil }
    }

    /// Counts how often the real handler ran (it must not, for a refused request).
    static func router(_ reached: Locked<Int>) -> Router {
        var router = Router()
        let auth = BearerAuthentication(verifier: Tokens())
        router.add("POST", "/v1/events", auth.requiring("events:write", RequestChecks.jsonBody(ClosureHandler { _, respond in
            reached.withValue { $0 += 1 }
            respond(.text(status: 202, "accepted"))
        })))
        router.add("GET", "/v1/events", ClosureHandler { _, respond in respond(.text("list")) })
        return router
    }

    static func head(_ method: String, _ path: String, headers: [String]) -> String {
        ([ "\(method) \(path) HTTP/1.1", "Host: localhost", "Content-Length: \(4 << 20)"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }

    @Test(arguments: [
        // No token at all.
        ("POST", "/v1/events", ["Content-Type: application/json"], 401),
        // A token the verifier does not know.
        ("POST", "/v1/events", ["Content-Type: application/json", "Authorization: Bearer nope"], 401),
        // Right token, wrong media type.
        ("POST", "/v1/events", ["Content-Type: text/plain", "Authorization: Bearer writer-secret"], 415),
        // Unknown path, known path with the wrong method.
        ("POST", "/v1/nowhere", ["Content-Type: application/json"], 404),
        ("PUT", "/v1/events", ["Content-Type: application/json", "Authorization: Bearer writer-secret"], 405),
    ])
    func refusedFromTheHead(_ method: String, _ path: String, _ headers: [String], _ status: Int) async throws {
        let reached = Locked(0)
        try await withServer(Self.router(reached), configure: { $0.maxRequestBodyBytes = 4 << 20 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            #expect(connection.send(Self.head(method, path, headers: headers)))
            let response = try connection.readResponse(timeout: 3)
            #expect(response.status == status)
            #expect(connection.waitForClose(timeout: 3), "the unread body is not waited for")
        }
        #expect(reached.current == 0)
    }

    /// A request that passes every head check still gets its body read and handled.
    @Test func anAcceptableHeadReadsTheBody() async throws {
        let reached = Locked(0)
        try await withServer(Self.router(reached), configure: { $0.maxRequestBodyBytes = 4 << 20 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            let body = "{}"
            #expect(connection.send("POST /v1/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer writer-secret\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
            #expect(try connection.readResponse(timeout: 3).status == 202)
        }
        #expect(reached.current == 1)
    }
}
