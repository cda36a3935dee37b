/// Escaping of filled-in values for each receiver's text syntax, so a subject named
/// `*urgent* <!channel>` is shown, not interpreted.
public enum ChannelEscaping {
    /// Slack mrkdwn: only `&`, `<` and `>` are control characters (Slack's "Escaping
    /// text" rule); links are written `<url|label>`.
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

    /// Adaptive Card text (Teams TextBlock and Fact values are Markdown; "HTML isn't
    /// supported in Adaptive Cards", msteams-docs cards-format.md): `&`, `<` and `>` as
    /// character references, which CommonMark shows as the characters and which keep
    /// `<at>` mentions and entities from forming; a backslash before the characters that
    /// start emphasis, code or links (CommonMark backslash escapes); a line break as a
    /// space, so a value cannot start a list or a heading line.
    public static func teams(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r", "\r\n": out += " "
            default:
                if "\\*_~`[]".contains(c) { out.append("\\") }
                out.append(c)
            }
        }
        return out
    }

    /// HTML text and attribute values (Google Chat card `textParagraph`, whose text
    /// "is rendered as HTML"): the five characters that can open markup or end a quoted
    /// attribute.
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
