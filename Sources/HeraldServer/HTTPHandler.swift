/// Delivers the response to a request. It may be called later and from any thread (the daemon
/// answers 202 only after a database commit); only the first call counts, later ones are ignored.
public typealias HTTPResponder = @Sendable (HTTPResponse) -> Void

/// Answers HTTP requests. One method, so routers, auth checks and the daemon's API compose
/// as plain values (Alertmanager's `Stage`, swift-service-lifecycle's `Service`).
public protocol HTTPHandler: Sendable {
    /// Handles `request` and calls `respond` exactly once, now or later, from any thread.
    /// Not calling it leaves the client waiting until the server stops (which answers 503).
    /// It runs on an MHD worker thread (two by default) that serves many connections: hand
    /// slow work to a queue and answer from there instead of blocking.
    func handle(_ request: HTTPRequest, respond: @escaping HTTPResponder)

    /// The refusal for a request that announces a body, decided from its head alone
    /// (method, path, headers; `body` is empty) before any body byte is read: route and
    /// method (404/405), credentials (401/403), content type (415). Without it a client
    /// with no token could make the server buffer `maxBodyBytes` per connection before
    /// being told 401 (#17 item 13). Nil lets the body be read; `handle` still runs every
    /// check on the complete request. Runs on an MHD thread: must not block.
    func refusal(beforeBody head: HTTPRequest) -> HTTPResponse?
}

extension HTTPHandler {
    /// By default nothing is decided before the body.
    public func refusal(beforeBody head: HTTPRequest) -> HTTPResponse? { nil }
}

/// An `HTTPHandler` made from a closure, for small fixed routes such as `/healthz`.
public struct ClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void
    private let head: (@Sendable (HTTPRequest) -> HTTPResponse?)?

    /// `beforeBody`, if given, is the handler's `refusal(beforeBody:)`.
    public init(_ body: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void,
                beforeBody: (@Sendable (HTTPRequest) -> HTTPResponse?)? = nil) {
        self.body = body
        self.head = beforeBody
    }

    public func refusal(beforeBody head: HTTPRequest) -> HTTPResponse? { self.head?(head) }

    /// A handler that always answers with the same response (e.g. `GET /healthz` → 200 "ok").
    public static func fixed(_ response: HTTPResponse) -> ClosureHandler {
        ClosureHandler { _, respond in respond(response) }
    }

    public func handle(_ request: HTTPRequest, respond: @escaping HTTPResponder) {
        body(request, respond)
    }
}
