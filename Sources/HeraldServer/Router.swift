/// Maps (method, path pattern) to handlers. Patterns are literal segments and `{name}`
/// parameters, e.g. `/v1/rules/{id}/explain`. Unknown paths answer 404; a known path with
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
    }

    /// A pattern segment: a literal to compare, or a named parameter to capture.
    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. Registering the same method and pattern twice is a programming error.
    public mutating func add(_ method: String, _ pattern: String, _ handler: HTTPHandler) {
        let method = method.uppercased()
        precondition(!routes.contains { $0.method == method && $0.pattern == pattern },
                     "route \(method) \(pattern) registered twice")
        routes.append(Route(method: method, pattern: pattern, segments: Self.parse(pattern), handler: handler))
    }

    /// Adds a route answered by a closure.
    public mutating func add(_ method: String, _ pattern: String,
                             _ body: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void) {
        add(method, pattern, ClosureHandler(body))
    }

    public func handle(_ request: HTTPRequest, respond: @escaping HTTPResponder) {
        let pathSegments = Self.split(request.path)
        var allowed: [String] = []
        var matchedPattern: String?
        let method = request.method.uppercased()
        for route in routes {
            guard let parameters = Self.match(route.segments, pathSegments) else { continue }
            matchedPattern = matchedPattern ?? route.pattern
            allowed.append(route.method)
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                var routed = request
                routed.pathParameters = parameters
                route.handler.handle(routed) { response in respond(response.labelled(route.pattern, onlyIfMissing: true)) }
                return
            }
        }
        guard let pattern = matchedPattern else {
            respond(.error(status: 404, code: "not_found", message: "no resource at '\(request.path)'"))
            return
        }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        let allow = allowed.joined(separator: ", ")
        respond(.error(status: 405, code: "method_not_allowed",
                       message: "method '\(request.method)' is not allowed on '\(request.path)'; allowed: \(allow)",
                       headers: [("Allow", allow)], routeLabel: pattern))
    }

    // MARK: - Matching

    private static func parse(_ pattern: String) -> [Segment] {
        split(pattern).map { segment in
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(segment)
        }
    }

    /// Path segments without empty ones, so `/a/b/` matches `/a/b`.
    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The captured parameters if `path` matches `pattern` segment for segment.
    private static func match(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(pattern, path) {
            switch segment {
            case .literal(let literal): guard literal == value else { return nil }
            case .parameter(let name): parameters[name] = value
            }
        }
        return parameters
    }
}
