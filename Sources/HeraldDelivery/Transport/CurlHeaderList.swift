import CCurl

/// Owns one `curl_slist` of header lines. curl does not copy `CURLOPT_HTTPHEADER`, so the
/// easy handle keeps this alive until its next request replaces it (SYSLIBS.md: keep
/// header slists alive until cleanup).
final class CurlHeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    /// Builds `Name: value` lines. Returns nil when curl cannot allocate a node.
    init?(_ headers: [(String, String)]) {
        for (name, value) in headers {
            // "Name:" with nothing after it tells curl to drop a header it would add
            // itself (how the empty `Expect:` is sent); "Name;" would send it empty.
            let line = value.isEmpty ? "\(name):" : "\(name): \(value)"
            guard let appended = curl_slist_append(list, line) else { return nil }
            list = appended
        }
    }

    deinit { curl_slist_free_all(list) }
}
