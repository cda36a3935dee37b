/// Escaping of filled-in values for each receiver's text syntax, so a subject named
/// `*urgent* <!channel>` is shown, not interpreted.
public enum ChannelEscaping {
    /// Slack mrkdwn: only `&`, `<` and `>` are control characters (Slack's "Escaping
    /// text" rule); links are written `<url|label>`.
    public static func angleBrackets(_ text: String) -> String {
        escaped(text) { c in reference(c) }
    }

    /// Markdown (Discord, Mattermost, Teams TextBlock): a backslash before each
    /// character that starts emphasis, code, spoilers, links or mentions (values sit
    /// inside a line, so line-start markers such as `#` and `-` need nothing).
    public static func markdown(_ text: String) -> String {
        escaped(text) { c in "\\*_~`|[]<>".contains(c) ? "\\\(c)" : nil }
    }

    /// Adaptive Card text (Teams TextBlock and Fact values are Markdown; "HTML isn't
    /// supported in Adaptive Cards", msteams-docs cards-format.md): `&`, `<` and `>` as
    /// character references, which CommonMark shows as the characters and which keep
    /// `<at>` mentions and entities from forming; a backslash before the characters that
    /// start emphasis, code or links (CommonMark backslash escapes); a line break as a
    /// space, so a value cannot start a list or a heading line.
    public static func teams(_ text: String) -> String {
        escaped(text) { c in
            if let entity = reference(c) { return entity }
            if c == "\n" || c == "\r" || c == "\r\n" { return " " }
            return "\\*_~`[]".contains(c) ? "\\\(c)" : nil
        }
    }

    /// HTML text and attribute values (Google Chat card `textParagraph`, whose text
    /// "is rendered as HTML"): the five characters that can open markup or end a quoted
    /// attribute.
    public static func html(_ text: String) -> String {
        escaped(text) { c in
            switch c {
            case "\"": "&quot;"
            case "'": "&#39;"
            default: reference(c)
            }
        }
    }

    /// `&`, `<` and `>` as character references; nil for every other character.
    private static func reference(_ c: Character) -> String? {
        switch c {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        default: nil
        }
    }

    /// `text` with each character that `replacement` names replaced; the others kept.
    private static func escaped(_ text: String, _ replacement: (Character) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            if let replaced = replacement(c) { out += replaced } else { out.append(c) }
        }
        return out
    }
}
