import Foundation
import HeraldServer
import HeraldTestKit
import Testing

/// Calls a handler and returns its (synchronous) answer.
func answer(_ handler: HTTPHandler, _ request: HTTPRequest) throws -> HTTPResponse {
    let box = Locked<HTTPResponse?>(nil)
    handler.handle(request) { response in box.withValue { $0 = response } }
    return try #require(box.current)
}

func decodeError(_ response: HTTPResponse) -> ErrorBody? {
    try? JSONDecoder().decode(ErrorBody.self, from: response.body)
}

/// Routing by method and pattern, with precise 404 and 405 answers.
@Suite struct RouterTests {
    private var router: Router {
        var router = Router()
        router.add("GET", "/v1/rules/{id}") { request, respond in
            respond(.text("rule \(request.pathParameters["id"] ?? "?")"))
        }
        router.add("DELETE", "/v1/rules/{id}") { _, respond in respond(HTTPResponse(status: 204)) }
        router.add("POST", "/v1/events") { _, respond in respond(.text(status: 202, "ok")) }
        router.add("GET", "/v1/rules/{id}/explain") { request, respond in
            respond(.text("explain \(request.pathParameters["id"] ?? "?")", routeLabel: "explain"))
        }
        return router
    }

    @Test func matchesLiteralAndParameterSegments() throws {
        let response = try answer(router, HTTPRequest(method: "GET", path: "/v1/rules/r-7"))
        #expect(String(decoding: response.body, as: UTF8.self) == "rule r-7")
        #expect(response.routeLabel == "/v1/rules/{id}")          // the pattern, never the raw path
        let nested = try answer(router, HTTPRequest(method: "GET", path: "/v1/rules/r-7/explain/"))
        #expect(String(decoding: nested.body, as: UTF8.self) == "explain r-7")
        #expect(nested.routeLabel == "explain")                    // a handler's own label wins
    }

    @Test func aTailParameterTakesTheRestOfThePathAsSent() throws {
        var router = Router()
        router.add("GET", "/v1/users/{id...}") { request, respond in
            respond(.text("user \(request.pathParameters["id"] ?? "?")"))
        }
        router.add("GET", "/v1/other/{id}") { _, respond in respond(.text("other")) }
        // `%2F` is decoded by libmicrohttpd before routing: the id arrives as segments.
        for (path, id) in [("/v1/users/alice", "alice"), ("/v1/users/team/alice", "team/alice"),
                           ("/v1/users/a//b/", "a//b/"), ("//v1/users/x", "x")] {
            let response = try answer(router, HTTPRequest(method: "GET", path: path))
            #expect(String(decoding: response.body, as: UTF8.self) == "user \(id)", "\(path)")
            #expect(response.routeLabel == "/v1/users/{id}")   // as the API document writes it
        }
        #expect(try answer(router, HTTPRequest(method: "GET", path: "/v1/users/")).status == 404)
        #expect(try answer(router, HTTPRequest(method: "GET", path: "/v1/other/a/b")).status == 404)   // `{id}` stays one segment
    }

    @Test func unknownPathIs404JSON() throws {
        let response = try answer(router, HTTPRequest(method: "GET", path: "/v1/nothing"))
        #expect(response.status == 404)
        #expect(response.header("content-type") == "application/json")
        #expect(decodeError(response) == ErrorBody(error: "not_found", message: "no resource at '/v1/nothing'"))
        #expect(response.routeLabel == nil)   // counted as "other": raw paths never become labels
    }

    @Test func knownPathWithWrongMethodIs405WithAllow() throws {
        let response = try answer(router, HTTPRequest(method: "PUT", path: "/v1/rules/r-7"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, DELETE, HEAD")
        #expect(decodeError(response)?.error == "method_not_allowed")
        #expect(decodeError(response)?.message
                == "method 'PUT' is not allowed on '/v1/rules/r-7'; allowed: GET, DELETE, HEAD")
        let post = try answer(router, HTTPRequest(method: "GET", path: "/v1/events"))
        #expect(post.header("Allow") == "POST")
    }

    @Test func headIsServedByTheGetRoute() throws {
        let response = try answer(router, HTTPRequest(method: "HEAD", path: "/v1/rules/x"))
        #expect(response.status == 200)
    }

    /// Through a real server: the same 404/405 answers reach a client.
    @Test func routerAnswersThroughTheServer() async throws {
        try await withServer(router) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            connection.send(getRequest("/missing"))
            #expect(try connection.readResponse().status == 404)
            connection.send("PATCH /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = try connection.readResponse()
            #expect(response.status == 405)
            #expect(response.headers["allow"] == "POST")
        }
    }
}

/// #17 item 9: paths split on the byte `/`, not on grapheme clusters.
@Suite struct RouterScalarSplitTests {
    private var router: Router {
        var router = Router()
        router.add("GET", "/v1/silences/{id}") { request, respond in respond(.text("one \(request.pathParameters["id"] ?? "?")")) }
        router.add("DELETE", "/v1/silences/{id...}") { request, respond in respond(.text("rest \(request.pathParameters["id"] ?? "?")")) }
        return router
    }

    /// A segment starting with a combining mark: `/` + U+0301 is one Character, so a
    /// Character split glued it to `silences` and answered 404.
    @Test func aSegmentStartingWithACombiningMarkIsItsOwnSegment() throws {
        let response = try answer(router, HTTPRequest(method: "GET", path: "/v1/silences/\u{301}a"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "one \u{301}a")
    }

    /// `DELETE /v1/silences/team%2Fa` arrives decoded as `team/a`; the rest parameter
    /// takes it whole, also after a combining mark.
    @Test(arguments: ["team/a", "\u{301}x/y"])
    func anIDWithASlashReachesTheRestRoute(_ id: String) throws {
        let response = try answer(router, HTTPRequest(method: "DELETE", path: "/v1/silences/\(id)"))
        #expect(String(decoding: response.body, as: UTF8.self) == "rest \(id)")
    }
}
