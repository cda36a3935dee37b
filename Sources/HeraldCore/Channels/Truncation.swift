/// Cutting texts to a receiver's limit so the cut shows: a list keeps as many items as
/// fit and says "… and N more"; a text ends in "…". A receiver that would refuse (or
/// silently cut) an over-long message gets one that fits instead.
public enum Truncation {
    /// What ends a cut text.
    public static let ellipsis = "…"

    /// `text` when it fits in `limit` characters, else its start and "…".
    public static func text(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        guard limit > 1 else { return String(ellipsis.prefix(max(0, limit))) }
        return String(text.prefix(limit - 1)) + ellipsis
    }

    /// `text` when its UTF-8 form fits in `limit` bytes, else its start and "…"
    /// (cut on a character boundary).
    public static func bytes(_ text: String, limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = ""
        var used = ellipsis.utf8.count
        for character in text {
            let size = character.utf8.count
            guard used + size <= limit else { break }
            kept.append(character)
            used += size
        }
        return kept + ellipsis
    }

    /// Items joined by `separator`, as many as fit in `limit` characters together
    /// with the "… and N more" that names the rest; `unlisted` counts further items not
    /// given at all (a list bounded before it is written).
    public static func list(_ items: [String], separator: String, limit: Int, unlisted: Int = 0) -> String {
        var joined = ""
        for (index, item) in items.enumerated() {
            let next = (joined.isEmpty ? "" : joined + separator) + item
            let rest = items.count - index - 1 + unlisted
            let tail = rest > 0 ? separator + more(rest) : ""
            if next.count + tail.count > limit {
                let remaining = items.count - index + unlisted
                let note = (joined.isEmpty ? "" : separator) + more(remaining)
                return joined.isEmpty ? text(more(remaining), limit: limit) : joined + note
            }
            joined = next
        }
        guard unlisted > 0 else { return joined }
        return joined.isEmpty ? text(more(unlisted), limit: limit) : joined + separator + more(unlisted)
    }

    /// `… and 3 more`.
    public static func more(_ count: Int) -> String { "\(ellipsis) and \(count) more" }
}
