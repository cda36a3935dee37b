public import Foundation

/// One HTTP POST to a webhook target, fully prepared (signed headers included).
public struct WebhookRequest: Sendable {
    public var url: URL
    /// Header lines in order; names and values must not contain CR, LF or NUL.
    public var headers: [(String, String)]
    public var body: Data
    /// Limit for setting up the TCP/TLS connection.
    public var connectTimeout: TimeInterval
    /// Limit for the whole transfer, connection included.
    public var timeout: TimeInterval

    public init(url: URL, headers: [(String, String)], body: Data,
                connectTimeout: TimeInterval = 5, timeout: TimeInterval = 15) {
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// The first header that would let a value inject extra header lines, if any.
    var unsafeHeaderName: String? {
        headers.first { name, value in
            name.isEmpty || (name + value).utf8.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0 }
                || name.utf8.contains(UInt8(ascii: ":"))
        }?.0
    }
}

/// What came back from one transfer. Exactly one per `WebhookClient.send`.
public struct WebhookResponse: Sendable {
    /// HTTP status, nil when no response arrived.
    public var status: Int?
    /// Raw `Retry-After` header of the final response, if any.
    public var retryAfter: String?
    /// The first `WebhookClient.responseExcerptLimit` bytes of the body, for dead letters.
    public var excerpt: Data
    /// Set when the transfer failed; wins over `status` in classification.
    public var error: TransportError?
    /// Wall time of the transfer as curl measured it (name lookup to last byte).
    public var duration: TimeInterval

    public init(status: Int?, retryAfter: String?, excerpt: Data, error: TransportError?, duration: TimeInterval) {
        self.status = status
        self.retryAfter = retryAfter
        self.excerpt = excerpt
        self.error = error
        self.duration = duration
    }
}
