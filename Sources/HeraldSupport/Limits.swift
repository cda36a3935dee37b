/// Named limits with their reason live next to the code that enforces them
/// (STYLE.md principle 9). This type gathers the ones shared across adapters.
public enum SharedLimits {
    /// Largest response excerpt kept from a webhook target for a dead-letter record:
    /// enough to read an error page's first lines, small enough to keep rows compact.
    public static let responseExcerptBytes = 4096
}
