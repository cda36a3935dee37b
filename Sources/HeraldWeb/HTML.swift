/// A fragment of HTML that is safe by construction: text is escaped when it becomes a
/// node, element and attribute names can only be string literals (`StaticString`), and
/// there is no public way to wrap an arbitrary `String` as markup. A subject named
/// `<script>` therefore renders as the text "<script>", whoever builds the page.
///
/// `ExpressibleByStringInterpolation` makes `"Rule \(name)"` a text node: the whole
/// string, interpolations included, is escaped.
public struct HTML: Sendable, ExpressibleByStringInterpolation {
    /// The markup; only this file writes it.
    public private(set) var rendered: String

    private init(markup: String) { rendered = markup }

    /// Escaped text.
    public init(stringLiteral value: String) { rendered = HTML.escape(value) }

    /// Escaped text (a `String` read from anywhere).
    public static func text(_ value: String) -> HTML { HTML(markup: escape(value)) }

    /// Several fragments in order.
    public init(_ parts: [HTML]) { rendered = parts.map(\.rendered).joined() }

    public static let empty = HTML(markup: "")

    /// `<tag attributes>children</tag>`.
    public static func element(_ tag: StaticString, _ attributes: [Attribute] = [], _ children: [HTML] = []) -> HTML {
        HTML(markup: "<\(tag)\(attributes.map(\.rendered).joined())>" + children.map(\.rendered).joined() + "</\(tag)>")
    }

    /// An element without content or end tag (`input`, `meta`, `link`, `br`).
    public static func void(_ tag: StaticString, _ attributes: [Attribute] = []) -> HTML {
        HTML(markup: "<\(tag)\(attributes.map(\.rendered).joined())>")
    }

    /// The document type and the `html` element around `head` and `body`.
    public static func document(lang: StaticString = "en", head: [HTML], body: [HTML]) -> HTML {
        HTML(markup: "<!DOCTYPE html>\n" + element("html", [Attribute("lang", "\(lang)")],
                                                   [element("head", [], head), element("body", [], body)]).rendered)
    }

    /// `&`, `<`, `>`, `"` and `'` as character references: safe in text and in quoted
    /// attribute values alike (OWASP's rule #1 and #2).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// One attribute: a literal name and an escaped value. `href`, `action` and `src` take
/// only same-site paths and http(s) URLs: anything else (a `javascript:` URL made from
/// data) becomes `#`.
public struct Attribute: Sendable {
    let rendered: String

    public init(_ name: StaticString, _ value: String) {
        let safe = Attribute.urlAttributes.contains("\(name)") && !Attribute.isSafeURL(value) ? "#" : value
        rendered = " \(name)=\"\(HTML.escape(safe))\""
    }

    /// A boolean attribute (`required`, `disabled`), present without a value.
    public init(flag name: StaticString) { rendered = " \(name)" }

    static let urlAttributes: Set<String> = ["href", "action", "src", "formaction"]

    static func isSafeURL(_ value: String) -> Bool {
        let lower = value.lowercased()
        return (value.hasPrefix("/") && !value.hasPrefix("//")) || value.hasPrefix("#") || value.hasPrefix("?")
            || lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }
}
