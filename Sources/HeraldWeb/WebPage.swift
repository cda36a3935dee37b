public import HeraldServer
import Foundation

/// A whole page: the shared head (viewport for 360 px phones, the stylesheet served by
/// Herald itself) around a title and a `main` element, answered with the headers every
/// Herald page carries.
public struct WebPage: Sendable {
    public var title: String
    public var body: [HTML]
    /// The navigation bar of the operator UI; nil on pages for people outside it.
    public var navigation: HTML?

    public init(title: String, body: [HTML], navigation: HTML? = nil) {
        self.title = title
        self.body = body
        self.navigation = navigation
    }

    public var html: HTML {
        .document(head: [
            .void("meta", [Attribute("charset", "utf-8")]),
            .void("meta", [Attribute("name", "viewport"), Attribute("content", "width=device-width, initial-scale=1")]),
            .void("meta", [Attribute("name", "referrer"), Attribute("content", "no-referrer")]),
            .element("title", [], [.text("\(title) · Herald")]),
            .void("link", [Attribute("rel", "stylesheet"), Attribute("href", Stylesheet.path)]),
        ], body: [
            navigation ?? .empty,
            .element("main", [Attribute("id", "main")], [.element("h1", [], [.text(title)])] + body),
        ])
    }

    /// The page as a response with `status` and the security headers.
    public func response(status: Int = 200, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")] + WebHeaders.security + headers,
                     body: Data(html.rendered.utf8))
    }
}

/// Headers on every page and asset.
public enum WebHeaders {
    /// Nothing but Herald's own stylesheet and forms posting back to Herald: no script
    /// runs, no frame embeds the page (clickjacking), no other origin is contacted.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    public static let security: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        // Ack links carry their token in the path: it must not leak to another site.
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        // Pages show live state and may carry form tokens: never from a cache.
        ("Cache-Control", "no-store"),
    ]

    /// A 303 to `location` (POST → redirect → GET, so a reload does not post again).
    public static func seeOther(_ location: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: 303, headers: [("Location", location)] + security + headers)
    }
}
