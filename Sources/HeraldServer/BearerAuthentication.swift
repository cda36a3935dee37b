/// Decides which scopes a bearer token grants. The daemon implements it with SHA-256 digests
/// and a constant-time comparison; the transport only needs the answer.
public protocol TokenVerifier: Sendable {
    /// The scopes of a valid token, or nil for an unknown one.
    func scopes(for token: String) -> Set<String>?
}

/// `Authorization: Bearer <token>` checking (RFC 6750): 401 with `WWW-Authenticate: Bearer`
/// when the header is missing, malformed or the token unknown; 403 when the token lacks the
/// scope. The token itself never appears in a response, a log line or an error message.
public struct BearerAuthentication: Sendable {
    /// The realm named in challenges, so clients can tell which credentials are wanted.
    public static let realm = "herald"

    private let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    /// nil when the request carries a token with `scope`; otherwise the 401/403 to send.
    public func check(_ request: HTTPRequest, requiring scope: String) -> HTTPResponse? {
        guard let header = request.header("authorization") else {
            return Self.unauthorized(code: "missing_token", message: "authorization header is missing",
                                     challenge: "Bearer realm=\"\(Self.realm)\"")
        }
        guard let token = Self.bearerToken(in: header) else {
            return Self.unauthorized(code: "malformed_authorization",
                                     message: "authorization header is not of the form 'Bearer <token>'",
                                     challenge: "Bearer realm=\"\(Self.realm)\", error=\"invalid_request\"")
        }
        guard let scopes = verifier.scopes(for: token) else {
            return Self.unauthorized(code: "invalid_token", message: "bearer token is not recognised",
                                     challenge: "Bearer realm=\"\(Self.realm)\", error=\"invalid_token\"")
        }
        guard scopes.contains(scope) else {
            return .error(status: 403, code: "insufficient_scope",
                          message: "bearer token lacks the scope '\(scope)'",
                          headers: [("WWW-Authenticate",
                                     "Bearer realm=\"\(Self.realm)\", error=\"insufficient_scope\", scope=\"\(scope)\"")])
        }
        return nil
    }

    /// A handler that runs `next` only for requests whose token has `scope`.
    public func requiring(_ scope: String, _ next: HTTPHandler) -> HTTPHandler {
        let authentication = self
        return ClosureHandler({ request, respond in
            if let refusal = authentication.check(request, requiring: scope) {
                respond(refusal)
            } else {
                next.handle(request, respond: respond)
            }
        }, beforeBody: { head in
            // Credentials are in the headers: refuse before a byte of the body is read.
            authentication.check(head, requiring: scope) ?? next.refusal(beforeBody: head)
        })
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), or nil when
    /// the scheme differs, the token is empty or contains whitespace.
    static func bearerToken(in header: String) -> String? {
        // Fast path for the usual `Bearer <token>`: one scan of the bytes, no splitting.
        let utf8 = header.utf8
        if utf8.starts(with: bearerPrefix), utf8.count > bearerPrefix.count,
           !utf8.dropFirst(bearerPrefix.count).contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
            return String(header.dropFirst(bearerPrefix.count))
        }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, String(parts[0]).asciiLowercased == "bearer" else { return nil }
        let token = parts[1]
        guard !token.contains(where: { $0.isWhitespace }) else { return nil }
        return String(token)
    }

    private static let bearerPrefix = Array("Bearer ".utf8)

    private static func unauthorized(code: String, message: String, challenge: String) -> HTTPResponse {
        .error(status: 401, code: code, message: message, headers: [("WWW-Authenticate", challenge)])
    }
}
