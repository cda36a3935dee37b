/// Escaping of filled-in values for each receiver's text syntax, so a subject named
/// `*urgent* <!channel>` is shown, not interpreted.
public enum ChannelEscaping {
    /// Slack mrkdwn and Google Chat text: only `&`, `<` and `>` are control characters
    /// (Slack's "Escaping text" rule); links are written `<url|label>`.
    public static func angleBrackets(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Markdown (Discord, Mattermost, Teams TextBlock): a backslash before each
    /// character that starts emphasis, code, spoilers, links or mentions (values sit
    /// inside a line, so line-start markers such as `#` and `-` need nothing).
    public static func markdown(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            if "\\*_~`|[]<>".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
