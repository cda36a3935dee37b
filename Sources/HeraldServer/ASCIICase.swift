extension String {
    /// The string with ASCII letters lower-cased. Header names, auth schemes and media
    /// types are ASCII tokens (RFC 9110); `lowercased()` applies full Unicode case mapping,
    /// which was a measurable share of every request (three calls per header). Text with
    /// non-ASCII bytes falls back to `lowercased()`, so the result never differs from it
    /// for what these fields may contain.
    var asciiLowercased: String {
        var hasUpper = false
        for byte in utf8 {
            if byte >= 0x80 { return lowercased() }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard hasUpper else { return self }
        return String(decoding: utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
