/// Maps (method, path pattern) to handlers. Patterns are literal segments and `{name}`
/// parameters, e.g. `/v1/rules/{id}/explain`; a last segment `{name...}` takes the rest of
/// the path as it came, slashes included (libmicrohttpd decodes `%2F` before routing, so
/// an id with a `/` can only arrive as several segments). Unknown paths answer 404; a known path with
/// another method answers 405 with an `Allow` header (RFC 9110 §15.5.6). `HEAD` is served
/// by the `GET` route (MHD drops the body).
///
/// Each route's pattern is its metric label, so `herald_http_requests_total` stays bounded
/// however many distinct ids clients send.
public struct Router: HTTPHandler {
    /// One registered route.
    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: HTTPHandler
        /// The metric label: the pattern, with `{name...}` written `{name}` as in the API
        /// document (which has no way to say "several segments"). Made once, not per request.
        let label: String
    }

    /// A pattern segment: a literal to compare, a named parameter to capture, or the rest
    /// of the path.
    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        /// `{name...}`, only last: one or more segments, joined as they were sent.
        case rest(String)
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. Registering the same method and pattern twice is a programming error.
    public mutating func add(_ method: String, _ pattern: String, _ handler: HTTPHandler) {
        let method = method.uppercased()
        precondition(!routes.contains { $0.method == method && $0.pattern == pattern },
                     "route \(method) \(pattern) registered twice")
        let segments = Self.parse(pattern)
        precondition(!segments.dropLast().contains { if case .rest = $0 { true } else { false } },
                     "route \(pattern): a {name...} parameter must be the last segment")
        routes.append(Route(method: method, pattern: pattern, segments: segments, handler: handler,
                            label: pattern.replacingOccurrences(of: "...}", with: "}")))
    }

    /// Adds a route answered by a closure.
    public mutating func add(_ method: String, _ pattern: String,
                             _ body: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void) {
        add(method, pattern, ClosureHandler(body))
    }

    /// What a request's method and path select.
    private enum Selection {
        case route(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed(allow: String, label: String)
    }

    private func select(_ request: HTTPRequest) -> Selection {
        let pathSegments = Self.split(request.path)
        var allowed: [String] = []
        var matchedPattern: String?
        let method = request.method.uppercased()
        for route in routes {
            guard let parameters = Self.match(route.segments, pathSegments, path: request.path) else { continue }
            matchedPattern = matchedPattern ?? route.label
            allowed.append(route.method)
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .route(route, parameters: parameters)
            }
        }
        guard let pattern = matchedPattern else { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allow: allowed.joined(separator: ", "), label: pattern)
    }

    public func handle(_ request: HTTPRequest, respond: @escaping HTTPResponder) {
        switch select(request) {
        case .route(let route, let parameters):
            var routed = request
            routed.pathParameters = parameters
            let label = route.label
            route.handler.handle(routed) { response in respond(response.labelled(label, onlyIfMissing: true)) }
        case .notFound:
            respond(Self.notFound(request))
        case .methodNotAllowed(let allow, let label):
            respond(Self.methodNotAllowed(request, allow: allow, label: label))
        }
    }

    /// 404 and 405 from the request line; for a route, whatever its handler refuses from
    /// the head (e.g. 401 from `BearerAuthentication.requiring`).
    public func refusal(beforeBody head: HTTPRequest) -> HTTPResponse? {
        switch select(head) {
        case .route(let route, let parameters):
            var routed = head
            routed.pathParameters = parameters
            return route.handler.refusal(beforeBody: routed)?.labelled(route.label, onlyIfMissing: true)
        case .notFound:
            return Self.notFound(head)
        case .methodNotAllowed(let allow, let label):
            return Self.methodNotAllowed(head, allow: allow, label: label)
        }
    }

    private static func notFound(_ request: HTTPRequest) -> HTTPResponse {
        .error(status: 404, code: "not_found", message: "no resource at '\(request.path)'")
    }

    private static func methodNotAllowed(_ request: HTTPRequest, allow: String, label: String) -> HTTPResponse {
        .error(status: 405, code: "method_not_allowed",
               message: "method '\(request.method)' is not allowed on '\(request.path)'; allowed: \(allow)",
               headers: [("Allow", allow)], routeLabel: label)
    }

    // MARK: - Matching

    private static func parse(_ pattern: String) -> [Segment] {
        split(pattern).map { segment in
            if segment.hasPrefix("{") && segment.hasSuffix("...}") && segment.count > 5 {
                return .rest(String(segment.dropFirst().dropLast(4)))
            }
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(segment)
        }
    }

    /// Path segments without empty ones, so `/a/b/` matches `/a/b`. Split on the byte
    /// `/`, not on `Character`s: a `/` followed by a combining mark is one grapheme
    /// cluster, so a character split left `/\u{301}…` glued to the previous segment and
    /// the route was not found (#17 item 9).
    private static func split(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The captured parameters if the path (its non-empty `segments`, and as sent in
    /// `path` for a `{name...}` tail) matches `pattern` segment for segment.
    private static func match(_ pattern: [Segment], _ segments: [String], path: String) -> [String: String]? {
        let tail: String?
        if case .rest(let name) = pattern.last {
            guard segments.count >= pattern.count else { return nil }
            tail = name
        } else {
            guard pattern.count == segments.count else { return nil }
            tail = nil
        }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(pattern, segments) {
            switch segment {
            case .literal(let literal): guard literal == value else { return nil }
            case .parameter(let name): parameters[name] = value
            case .rest: break
            }
        }
        if let tail { parameters[tail] = String(rawTail(of: path, after: pattern.count - 1)) }
        return parameters
    }

    /// What follows the first `count` segments of `path` and the one `/` after them,
    /// exactly as sent (so `a//b` and `a/` stay themselves).
    private static func rawTail(of path: String, after count: Int) -> Substring {
        var rest = path.unicodeScalars[...]
        for _ in 0..<count {
            rest = rest.drop { $0 == "/" }.drop { $0 != "/" }
        }
        return Substring(rest.dropFirst())
    }
}
