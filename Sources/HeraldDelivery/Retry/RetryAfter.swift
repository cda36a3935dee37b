public import Foundation

/// Parses the `Retry-After` response header (RFC 9110 §10.2.3): either delay-seconds or
/// an HTTP-date. Pure: `now` is passed in.
public enum RetryAfter {
    /// Seconds to wait from `now`, or nil when the header is absent or unparseable
    /// (a malformed header is ignored rather than trusted). Dates in the past give 0.
    public static func delay(_ header: String?, now: Date) -> TimeInterval? {
        guard let value = header?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Very long digit strings overflow Int: treat as "as late as allowed".
            return TimeInterval(Int(value) ?? Int.max)
        }
        guard let date = httpDate(value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// The three HTTP-date forms senders must accept: IMF-fixdate, RFC 850 and asctime.
    static let httpDateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz",
        "EEEE, dd-MMM-yy HH:mm:ss zzz",
        "EEE MMM d HH:mm:ss yyyy",
    ]

    static func httpDate(_ value: String) -> Date? {
        for format in httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
        return nil
    }
}
