public import Foundation

/// One HTTP request as the application sees it: already bounded, fully received, and free of
/// any libmicrohttpd type, so handlers (and their tests) never touch C.
public struct HTTPRequest: Sendable {
    /// The request method as sent, e.g. `GET`, `POST`.
    public var method: String
    /// The path without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    /// Query arguments, percent-decoded; for a repeated name the last value wins.
    public var query: [String: String]
    /// Header values by lower-cased name; a repeated header keeps its values joined by ", ".
    public var headers: [String: String]
    /// The complete body (never larger than the server's body limit).
    public var body: Data
    /// The peer's numeric address (`127.0.0.1`, `::1`), nil when unknown.
    public var remoteAddress: String?
    /// Values of `{name}` segments, filled in by `Router` for the matched pattern.
    public var pathParameters: [String: String]

    public init(method: String, path: String, query: [String: String] = [:],
                headers: [String: String] = [:], body: Data = Data(),
                remoteAddress: String? = nil, pathParameters: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.asciiLowercased, $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
        self.remoteAddress = remoteAddress
        self.pathParameters = pathParameters
    }

    /// The value of a header, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.asciiLowercased]
    }
}

extension HTTPRequest: CustomStringConvertible {
    /// Headers that carry secrets; their values never appear in a description (and so never
    /// in a log line built from one).
    static let redactedHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    /// `POST /v1/events (123 bytes) from 127.0.0.1` plus headers with secrets redacted.
    public var description: String {
        let shownHeaders = headers.keys.sorted().map { name in
            "\(name): \(Self.redactedHeaders.contains(name) ? "<redacted>" : headers[name]!)"
        }
        return "\(method) \(path) (\(body.count) bytes) from \(remoteAddress ?? "unknown") [\(shownHeaders.joined(separator: "; "))]"
    }
}
