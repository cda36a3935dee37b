import Foundation
import HeraldServer
import HeraldTestKit
import Testing

/// Content-type and bearer-token checks with their exact statuses and challenges.
@Suite struct RequestChecksTests {
    @Test(arguments: [
        ("application/json", true),
        ("application/json; charset=utf-8", true),     // parameters are allowed
        ("Application/JSON", true),                    // media types are case-insensitive
        (" application/json ;charset=utf-8", true),    // whitespace around the type
        ("application/json-seq", false),
        ("text/plain", false),
        ("application/jsonx", false),
        ("application/x-www-form-urlencoded", false),
    ])
    func contentTypeMustBeJSON(value: String, accepted: Bool) throws {
        let refusal = RequestChecks.requireJSON(HTTPRequest(method: "POST", path: "/", headers: ["Content-Type": value]))
        if accepted {
            #expect(refusal == nil)
        } else {
            let response = try #require(refusal)
            #expect(response.status == 415)
            #expect(decodeError(response) == ErrorBody(
                error: "unsupported_media_type",
                message: "content-type '\(value)' is not supported; expected application/json"))
        }
    }

    @Test func missingContentTypeIs415() throws {
        let response = try #require(RequestChecks.requireJSON(HTTPRequest(method: "POST", path: "/")))
        #expect(response.status == 415)
        #expect(decodeError(response)?.message == "content-type is missing; expected application/json")
    }

    /// A verifier with one writer token and one read-only token.
    struct FakeVerifier: TokenVerifier {
        func scopes(for token: String) -> Set<String>? {
            switch token {
            case "writer-secret": ["events:write"]
            case "reader-secret": ["rules:read"]
            default: nil
            }
        }
    }

    private let auth = BearerAuthentication(verifier: FakeVerifier())

    private func request(authorization: String?) -> HTTPRequest {
        HTTPRequest(method: "POST", path: "/v1/events",
                    headers: authorization.map { ["Authorization": $0] } ?? [:])
    }

    @Test(arguments: [
        (nil, "missing_token", #"Bearer realm="herald""#),
        ("Basic dXNlcjpwYXNz", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer a b", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer tab\tinside", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer writer-secret extra", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer ", "malformed_authorization", #"Bearer realm="herald", error="invalid_request""#),
        ("Bearer not-a-known-token", "invalid_token", #"Bearer realm="herald", error="invalid_token""#),
    ] as [(String?, String, String)])
    func unauthenticatedIs401WithChallenge(authorization: String?, code: String, challenge: String) throws {
        let response = try #require(auth.check(request(authorization: authorization), requiring: "events:write"))
        #expect(response.status == 401)
        #expect(response.header("WWW-Authenticate") == challenge)
        #expect(decodeError(response)?.error == code)
        #expect(!String(decoding: response.body, as: UTF8.self).contains("not-a-known-token"))
    }

    @Test func missingScopeIs403() throws {
        let response = try #require(auth.check(request(authorization: "Bearer reader-secret"), requiring: "events:write"))
        #expect(response.status == 403)
        #expect(decodeError(response) == ErrorBody(error: "insufficient_scope",
                                                   message: "bearer token lacks the scope 'events:write'"))
        #expect(!String(decoding: response.body, as: UTF8.self).contains("reader-secret"))
    }

    @Test func validTokenWithScopePasses() {
        #expect(auth.check(request(authorization: "Bearer writer-secret"), requiring: "events:write") == nil)
        #expect(auth.check(request(authorization: "bearer writer-secret"), requiring: "events:write") == nil)
        #expect(auth.check(request(authorization: "BEARER writer-secret"), requiring: "events:write") == nil)
        #expect(auth.check(request(authorization: "Bearer  writer-secret"), requiring: "events:write") == nil)
    }

    /// Header names match whatever their case, including names with non-ASCII bytes
    /// (which take the full Unicode lower-casing).
    @Test func headerLookupIgnoresCase() {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["X-Mixed-Case": "v", "x-lower": "l", "X-Ä": "u"])
        #expect(request.header("x-MIXED-case") == "v")
        #expect(request.header("X-LOWER") == "l")
        #expect(request.header("x-ä") == "u")
        #expect(request.header("x-missing") == nil)
    }

    /// Through a real server: 401/403/202 reach the client and no token reaches the log.
    @Test func authGuardThroughTheServerNeverLogsTokens() async throws {
        let protected = auth.requiring("events:write", ClosureHandler { request, respond in
            respond(.text(status: 202, "accepted"))
        })
        let logs = LogCollector()
        try await withServer(protected, logLines: logs) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            for (token, status) in [("unknown-secret", 401), ("reader-secret", 403), ("writer-secret", 202)] {
                connection.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 0\r\n\r\n")
                let response = try connection.readResponse()
                #expect(response.status == status)
                if status == 401 { #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true) }
            }
        }
        #expect(!logs.lines.contains { $0.contains("secret") })
    }

    @Test func requestDescriptionRedactsAuthorization() {
        let description = request(authorization: "Bearer writer-secret").description
        #expect(description.contains("authorization: <redacted>"))
        #expect(!description.contains("writer-secret"))
    }
}
