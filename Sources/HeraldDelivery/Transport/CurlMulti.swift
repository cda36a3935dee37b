import CCurl

/// Owns one `CURLM*` multi handle: the connection cache shared by all pooled easy
/// handles, so sends to one target reuse keep-alive connections.
final class CurlMulti {
    /// Idle connections kept open across all targets. curl's default (4 × handles added)
    /// shrinks and grows with load; a fixed number keeps one warm connection per busy
    /// target without holding hundreds of sockets.
    static let maxCachedConnections = 64

    let handle: UnsafeMutableRawPointer

    /// Returns nil when curl cannot allocate the handle.
    init?() {
        guard let handle = curl_multi_init() else { return nil }
        self.handle = handle
        _ = herald_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, Self.maxCachedConnections)
    }

    /// Call only after every easy handle was removed (curl_multi_cleanup's contract).
    deinit { curl_multi_cleanup(handle) }

    /// Interrupts a `curl_multi_poll` in progress; the one call safe from other threads.
    func wakeup() { _ = curl_multi_wakeup(handle) }

    /// curl's message for a multi error code.
    static func message(_ code: CURLMcode) -> String { String(cString: curl_multi_strerror(code)) }
}

/// `curl_global_init` once, before the first handle: it is not safe to race with
/// other threads creating handles.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(herald_curl_global_default()) == CURLE_OK
}
