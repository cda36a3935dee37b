import Foundation

/// Checks a handler runs before reading a body. Each returns nil when the request passes,
/// or the precise error response to send, so handlers read as a fixed sequence of guards
/// (journal-remote's order: method/path, then auth, then content type, then body).
public enum RequestChecks {
    /// A handler that answers 415 unless the body is JSON, before reading the body when
    /// the request announces one, and runs `next` otherwise.
    public static func jsonBody(_ next: HTTPHandler) -> HTTPHandler {
        ClosureHandler({ request, respond in
            if let refusal = requireJSON(request) { return respond(refusal) }
            next.handle(request, respond: respond)
        }, beforeBody: { head in requireJSON(head) ?? next.refusal(beforeBody: head) })
    }

    /// 415 unless `Content-Type` is `application/json`; parameters such as `charset=utf-8`
    /// are allowed, and the media type is compared case-insensitively (RFC 9110 §8.3.1).
    public static func requireJSON(_ request: HTTPRequest) -> HTTPResponse? {
        guard let value = request.header("content-type") else {
            return .error(status: 415, code: "unsupported_media_type",
                          message: "content-type is missing; expected application/json")
        }
        // What nearly every client sends; the general parse below costs a few µs per request.
        if value == "application/json" { return nil }
        let mediaType = value.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).asciiLowercased } ?? ""
        guard mediaType == "application/json" else {
            return .error(status: 415, code: "unsupported_media_type",
                          message: "content-type '\(value)' is not supported; expected application/json")
        }
        return nil
    }
}
