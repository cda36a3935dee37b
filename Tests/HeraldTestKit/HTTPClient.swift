public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A blocking HTTP client for tests (URLSession underneath), bounded by a timeout.
public enum HTTPClient {
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends one request, on a connection of its own; `token` becomes a bearer
    /// Authorization header.
    ///
    /// Why not keep-alive: a server may close an idle connection just as a request arrives
    /// on it (libmicrohttpd does within ~0.1 s after its `connectionTimeout`). libcurl then
    /// resends on a new connection, but URLSession on Linux cannot supply an `httpBody`
    /// twice (its `seekInputStream` ignores data bodies), so the resent request announces
    /// its Content-Length and sends no body: the server waits for it until its own timeout
    /// and the test saw "Empty reply from server" or a request that hung
    /// (`TestClientReuseTests`). `Connection: close` means nothing is ever resent. Tests of
    /// keep-alive itself use `RawHTTPConnection`; a caller may still pass its own
    /// `Connection` header.
    public static func send(_ method: String, _ url: URL, body: Data? = nil, token: String? = nil,
                            contentType: String? = "application/json", headers: [String: String] = [:],
                            timeout: TimeInterval = 10) throws -> Response {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("close", forHTTPHeaderField: "Connection")
        if let contentType, body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                let headers = Dictionary(http.allHeaderFields.map { ("\($0.key)", "\($0.value)") }, uniquingKeysWith: { a, _ in a })
                box.set(.success(Response(status: http.statusCode, headers: headers, body: data ?? Data())))
            } else {
                box.set(.failure(Failure(description: "request failed: \(error.map { "\($0)" } ?? "no response")")))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 1) == .success, let result = box.get() else {
            throw Failure(description: "request to \(url) timed out")
        }
        return try result.get()
    }

    public static func post(_ url: URL, json: String, token: String?) throws -> Response {
        try send("POST", url, body: Data(json.utf8), token: token)
    }

    public static func get(_ url: URL, token: String? = nil) throws -> Response {
        try send("GET", url, token: token)
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<Response, Failure>?
        func set(_ value: Result<Response, Failure>) { lock.withLock { result = value } }
        func get() -> Result<Response, Failure>? { lock.withLock { result } }
    }
}
