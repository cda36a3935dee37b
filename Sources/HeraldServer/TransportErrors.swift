/// The responses the transport itself gives, before or instead of the handler. Each has a
/// stable code so clients can tell them apart from API errors.
enum TransportErrors {
    static func bodyTooLarge(limit: Int) -> HTTPResponse {
        .error(status: 413, code: "body_too_large",
               message: "request body exceeds the limit of \(limit) bytes")
    }

    static let shuttingDown = HTTPResponse.error(
        status: 503, code: "shutting_down",
        message: "the server is shutting down; retry against another instance or later",
        headers: [("Retry-After", "1")])
}
