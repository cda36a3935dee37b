import CCurl
import Foundation
import HeraldSupport

/// Owns one `CURL*` easy handle, reused for many requests so its connection, DNS and
/// TLS session caches stay warm. Confined to the client's loop thread.
///
/// The handle reads the response body into a capped excerpt: webhook receivers answer
/// with a few bytes, and nothing a target sends may make us buffer without bound.
final class CurlEasy {
    /// Body bytes kept for the dead-letter record (shared limit, see `SharedLimits`).
    static let excerptLimit = SharedLimits.responseExcerptBytes
    /// Body bytes read and discarded past the excerpt before the transfer is cut: reading a
    /// short error page to its end keeps the keep-alive connection reusable, while a
    /// target streaming megabytes costs us at most this much, then a new connection.
    static let drainLimit = 64 * 1024
    /// Protocols a webhook URL may use; file://, gopher:// etc. are refused by curl itself.
    static let allowedProtocols = "http,https"

    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: CurlHeaderList?
    private var excerpt = Data()
    private var bytesSeen = 0
    /// True when the write callback cut the transfer at `drainLimit` on purpose.
    private var cutAtDrainLimit = false

    /// Creates and configures the options that never change between requests.
    /// Returns nil when curl cannot allocate a handle or refuses a fixed option.
    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        guard configureFixedOptions() == CURLE_OK else { return nil }
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func configureFixedOptions() -> CURLcode {
        // passUnretained: `self` owns `handle` and outlives every callback curl makes on it.
        let context = Unmanaged.passUnretained(self).toOpaque()
        let steps: [() -> CURLcode] = [
            { herald_easy_setopt_long(self.handle, CURLOPT_NOSIGNAL, 1) },
            { herald_easy_setopt_long(self.handle, CURLOPT_FOLLOWLOCATION, 0) },
            { herald_easy_setopt_string(self.handle, CURLOPT_PROTOCOLS_STR, Self.allowedProtocols) },
            { herald_easy_setopt_long(self.handle, CURLOPT_POST, 1) },
            { herald_easy_setopt_pointer(self.handle, CURLOPT_ERRORBUFFER, self.errorBuffer) },
            { herald_easy_setopt_pointer(self.handle, CURLOPT_WRITEDATA, context) },
            { herald_easy_setopt_write_callback(self.handle, CURLOPT_WRITEFUNCTION, curlEasyWriteBody) },
        ]
        for step in steps {
            let code = step()
            if code != CURLE_OK { return code }
        }
        return CURLE_OK
    }

    /// Sets the per-request options. Throws when curl refuses one (out of memory or a
    /// value it rejects up front).
    func prepare(_ request: WebhookRequest) throws(TransportError) {
        excerpt.removeAll(keepingCapacity: true)
        bytesSeen = 0
        cutAtDrainLimit = false
        errorBuffer[0] = 0
        // The empty `Expect:` stops curl from waiting for `100 Continue` before a body.
        guard let headers = CurlHeaderList(request.headers + [("Expect", "")]) else {
            throw .other(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "cannot allocate header list")
        }
        headerList = headers
        try check(herald_easy_setopt_string(handle, CURLOPT_URL, request.url.absoluteString))
        try check(herald_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers.list))
        try check(herald_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)))
        try check(herald_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout)))
        // The size first: COPYPOSTFIELDS then copies exactly that many bytes (bodies may hold NUL).
        try check(herald_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
        let copied: CURLcode = request.body.isEmpty
            ? herald_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            : request.body.withUnsafeBytes { bytes in
                herald_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
        try check(copied)
    }

    /// The response once curl reports the transfer done with `result`.
    func response(result: CURLcode) -> WebhookResponse {
        var status = 0
        _ = herald_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var micros: curl_off_t = 0
        _ = herald_easy_getinfo_off(handle, CURLINFO_TOTAL_TIME_T, &micros)
        let failed = result != CURLE_OK && !(result == CURLE_WRITE_ERROR && cutAtDrainLimit)
        return WebhookResponse(status: status > 0 ? status : nil,
                               retryAfter: header("Retry-After"),
                               excerpt: excerpt,
                               error: failed ? transportError(result) : nil,
                               duration: TimeInterval(micros) / 1_000_000)
    }

    /// Appends body bytes to the excerpt up to its limit; returns false to cut the transfer.
    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let room = Self.excerptLimit - excerpt.count
        if room > 0 { excerpt.append(contentsOf: bytes.prefix(room)) }
        bytesSeen += bytes.count
        if bytesSeen > Self.drainLimit {
            cutAtDrainLimit = true
            return false
        }
        return true
    }

    /// The last value of a response header of the final response (curl's header API).
    private func header(_ name: String) -> String? {
        var found: UnsafeMutablePointer<curl_header>?
        guard curl_easy_header(handle, name, 0, herald_curlh_header(), -1, &found) == CURLHE_OK,
              let value = found?.pointee.value else { return nil }
        return String(cString: value)
    }

    private func transportError(_ code: CURLcode) -> TransportError {
        let message = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout(message)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .dns(message)
        case CURLE_COULDNT_CONNECT, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION: return .connect(message)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: return .invalidRequest(message)
        default: return .other(code: Int(code.rawValue), message: message)
        }
    }

    private func check(_ code: CURLcode) throws(TransportError) {
        guard code == CURLE_OK else { throw transportError(code) }
    }

    /// curl takes whole milliseconds; at least 1, since 0 would mean "no timeout".
    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        max(1, Int((seconds * 1000).rounded(.up)))
    }
}

/// `CURLOPT_WRITEFUNCTION`: hands body bytes to the `CurlEasy` in `context`. Returning
/// fewer bytes than offered makes curl stop the transfer with `CURLE_WRITE_ERROR`.
private let curlEasyWriteBody: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let data, let context else { return length }
    let easy = Unmanaged<CurlEasy>.fromOpaque(context).takeUnretainedValue()
    return easy.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}
