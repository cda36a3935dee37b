/// The responses the transport itself gives, before or instead of the handler. Each has a
/// stable code so clients can tell them apart from API errors.
enum TransportErrors {
    static func bodyTooLarge(limit: Int) -> HTTPResponse {
        .error(status: 413, code: "body_too_large",
               message: "request body exceeds the limit of \(limit) bytes")
    }

    /// Both `Content-Length` and `Transfer-Encoding`: a proxy in front may frame the body
    /// by the other header, so the next request on the connection could be smuggled
    /// (RFC 9112 §6.1). Refused on the first call, which also closes the connection.
    static let ambiguousFraming = HTTPResponse.error(
        status: 400, code: "ambiguous_framing",
        message: "request has both content-length and transfer-encoding; send one of them")

    static let shuttingDown = HTTPResponse.error(
        status: 503, code: "shutting_down",
        message: "the server is shutting down; retry against another instance or later",
        headers: [("Retry-After", "1")])
}
