/// The documented alphabet for ids people create: config ids (roles, groups, users,
/// targets, rules, tokens) and silence ids (#17 item 9).
///
/// An id travels in URL paths (`/v1/directory/groups/{id}`, `DELETE /v1/silences/{id}`),
/// inside other ids (episode ids are `rule/subject/n@time`, outbox destinations are
/// `target@user`), in log lines and in shell commands. `/`, `%`, `@`, spaces, control
/// characters and combining marks made ids that could not be addressed or that split
/// wrongly, so new ids are checked byte by byte (never by grapheme cluster).
public enum SafeID {
    /// Longest id, in bytes; all alphabet characters are one byte each.
    public static let maxLength = 128

    /// `[A-Za-z0-9][A-Za-z0-9._:-]*`, at most `maxLength` long.
    public static func isSafe(_ id: String) -> Bool {
        isSafe(id, extra: [])
    }

    /// User ids also name people from other systems (e-mail addresses, `ops/lee`), so
    /// they may hold `@` and `/` as well: the users route takes the rest of the path,
    /// and no other id is split at either inside a user id. A `/` must sit between two
    /// non-empty parts, since paths with empty segments are normalised by clients.
    public static func isSafeUserID(_ id: String) -> Bool {
        isSafe(id, extra: [UInt8(ascii: "@"), UInt8(ascii: "/")])
            && id.utf8.last != UInt8(ascii: "/") && !id.contains("//")
    }

    /// What `isSafe` allows, for error messages and docs.
    public static let rule = "may hold only letters, digits, '.', '_', ':' and '-', start with a letter or digit, and be at most \(maxLength) long"

    /// What `isSafeUserID` allows, for error messages and docs.
    public static let userRule = "may hold only letters, digits, '.', '_', ':', '-', '@' and '/' ('/' only between two parts), start with a letter or digit, and be at most \(maxLength) long"

    private static func isSafe(_ id: String, extra: Set<UInt8>) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= maxLength, isAlphanumeric(first) else { return false }
        return id.utf8.allSatisfy { isAlphanumeric($0) || punctuation.contains($0) || extra.contains($0) }
    }

    private static let punctuation: Set<UInt8> = [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-")]

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
