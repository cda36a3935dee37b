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
}

/// An `HTTPHandler` made from a closure, for small fixed routes such as `/healthz`.
public struct ClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void

    public init(_ body: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void) {
        self.body = body
    }

    /// A handler that always answers with the same response (e.g. `GET /healthz` → 200 "ok").
    public static func fixed(_ response: HTTPResponse) -> ClosureHandler {
        ClosureHandler { _, respond in respond(response) }
    }

    public func handle(_ request: HTTPRequest, respond: @escaping HTTPResponder) {
        body(request, respond)
    }
}
