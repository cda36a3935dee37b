public import Foundation

/// One HTTP response. The transport adds `Content-Length` (and `Connection: close` while
/// draining); everything else is the handler's.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 202.
    public var status: Int
    /// Header lines in order; repeated names are sent repeatedly.
    public var headers: [(String, String)]
    /// The body bytes (empty for none).
    public var body: Data
    /// The metric label for `herald_http_requests_total{route=…}`. It must come from a fixed,
    /// small set (a route pattern, never a raw path) so the metric cannot grow without bound;
    /// nil is counted as `other`. `Router` fills it with the matched pattern.
    public var routeLabel: String?

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data(), routeLabel: String? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.routeLabel = routeLabel
    }

    /// The value of the first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The same response with a route label (keeps an explicitly set one if `onlyIfMissing`).
    public func labelled(_ route: String, onlyIfMissing: Bool = false) -> HTTPResponse {
        var copy = self
        if !onlyIfMissing || copy.routeLabel == nil { copy.routeLabel = route }
        return copy
    }
}

// MARK: - Constructors for the common bodies

extension HTTPResponse {
    /// Encoder for JSON bodies: sorted keys so bodies are stable in tests and diffs.
    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A JSON body with `Content-Type: application/json`. A value that cannot be encoded is a
    /// programming error in the caller, answered as a 500 JSON error rather than a crash.
    public static func json(status: Int = 200, _ value: some Encodable,
                            headers: [(String, String)] = [], routeLabel: String? = nil) -> HTTPResponse {
        do {
            let body = try makeEncoder().encode(value)
            return HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers,
                                body: body, routeLabel: routeLabel)
        } catch {
            return .error(status: 500, code: "response_encoding_failed",
                          message: "the response could not be encoded as JSON", routeLabel: routeLabel)
        }
    }

    /// A plain-text body (`text/plain; charset=utf-8`), e.g. for `/healthz` or `/metrics`.
    public static func text(status: Int = 200, _ text: String, contentType: String = "text/plain; charset=utf-8",
                            headers: [(String, String)] = [], routeLabel: String? = nil) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)] + headers,
                     body: Data(text.utf8), routeLabel: routeLabel)
    }

    /// The one error shape of the API:
    /// `{"error": "<stable code>", "message": "<one sentence>", "details": [{"path": …, "message": …}]}`.
    /// `code` is stable for clients and metrics; `details` name the offending fields.
    public static func error(status: Int, code: String, message: String,
                             details: [(path: String, message: String)] = [],
                             headers: [(String, String)] = [], routeLabel: String? = nil) -> HTTPResponse {
        let body = ErrorBody(error: code, message: message,
                             details: details.map { ErrorBody.Detail(path: $0.path, message: $0.message) })
        return json(status: status, body, headers: headers, routeLabel: routeLabel)
    }
}

/// The encoded form of `HTTPResponse.error`; public so clients and tests can decode it.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// One field-level problem: a JSON path into the request and what is wrong there.
    public struct Detail: Codable, Sendable, Equatable {
        public var path: String
        public var message: String
        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    public var error: String
    public var message: String
    public var details: [Detail]

    public init(error: String, message: String, details: [Detail] = []) {
        self.error = error
        self.message = message
        self.details = details
    }
}
