import Foundation
import Testing
import HeraldServer
@testable import HeraldWeb

/// Pages are escaped by construction: whatever text reaches a node or an attribute is
/// shown as text, and URL attributes take no `javascript:`.
struct HTMLTests {
    @Test func textAndInterpolationAreEscaped() {
        let name = "<script>alert('x')</script> & \"q\""
        let expected = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        #expect(HTML.text(name).rendered == expected)
        let interpolated: HTML = "Subject \(name)"
        #expect(interpolated.rendered == "Subject " + expected)
        #expect(HTML.element("p", [], [.text(name)]).rendered == "<p>\(expected)</p>")
    }

    @Test func attributeValuesAreEscapedAndCannotCloseTheQuote() {
        let html = HTML.void("input", [Attribute("value", "\" onfocus=\"alert(1)"), Attribute(flag: "required")])
        #expect(html.rendered == "<input value=\"&quot; onfocus=&quot;alert(1)\" required>")
    }

    @Test(arguments: [
        // (value, kept?) — same-site paths and http(s) are links; scripts and other schemes are not.
        ("/ack/abc", true), ("?state=open", true), ("#main", true), ("https://h.example/x", true), ("HTTP://h", true),
        ("javascript:alert(1)", false), (" javascript:alert(1)", false), ("//evil.example/x", false), ("data:text/html,x", false),
    ])
    func urlAttributesTakeOnlySafeURLs(_ value: String, _ kept: Bool) {
        let html = HTML.element("a", [Attribute("href", value)], ["x"]).rendered
        #expect(html == "<a href=\"\(kept ? HTML.escape(value) : "#")\">x</a>")
    }

    @Test func aPageCarriesTheSecurityHeaders() {
        let response = WebPage(title: "<b>T</b>", body: []).response(status: 410)
        #expect(response.status == 410)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("X-Frame-Options") == "DENY")
        #expect(response.header("Referrer-Policy") == "no-referrer")
        #expect(response.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.hasPrefix("<!DOCTYPE html>"))
        #expect(body.contains("<h1>&lt;b&gt;T&lt;/b&gt;</h1>"))
        #expect(!body.contains("<b>"))
    }
}

/// Form bodies as browsers send them (application/x-www-form-urlencoded).
struct FormBodyTests {
    @Test func decodesPercentEncodingAndPlusAsSpace() throws {
        let form = try FormBody(encoded: "csrf=a%2Bb%3D&action=acknowledge&comment=on+call+%C3%A9&empty=&action=resolve")
        #expect(form["csrf"] == "a+b=")
        #expect(form["comment"] == "on call é")
        #expect(form["empty"] == "")
        // The first of a repeated field counts.
        #expect(form["action"] == "acknowledge")
    }

    @Test func refusesOtherContentTypesAndOversizedBodies() {
        let json = HTTPRequest(method: "POST", path: "/ack/x", headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
        #expect(throws: FormBody.Refusal.notAForm) { try FormBody(json) }
        let big = HTTPRequest(method: "POST", path: "/ack/x", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                              body: Data(repeating: UInt8(ascii: "a"), count: FormBody.maxBytes + 1))
        #expect(throws: FormBody.Refusal.tooLarge) { try FormBody(big) }
        let ok = HTTPRequest(method: "POST", path: "/ack/x", headers: ["Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"],
                             body: Data("a=1".utf8))
        #expect((try? FormBody(ok))?["a"] == "1")
    }

    @Test func refusesBadPercentEncoding() {
        #expect(throws: FormBody.Refusal.malformed) { try FormBody(encoded: "a=%zz") }
    }
}

/// Form tokens bind a form to what it acts on.
struct FormTokenTests {
    /// A stand-in MAC: the tests pin binding and comparison, not the hash.
    static let forms = FormToken(key: [1, 2, 3]) { message, key in key + message }

    @Test func aTokenVerifiesOnlyForItsPurposeAndBinding() {
        let token = Self.forms.token(purpose: "ack", binding: "t-1")
        #expect(Self.forms.verify(token, purpose: "ack", binding: "t-1"))
        #expect(!Self.forms.verify(token, purpose: "ack", binding: "t-2"))
        #expect(!Self.forms.verify(token, purpose: "ui", binding: "t-1"))
        #expect(!Self.forms.verify(nil, purpose: "ack", binding: "t-1"))
        #expect(!Self.forms.verify("", purpose: "ack", binding: "t-1"))
    }

    @Test func randomKeysDiffer() {
        #expect(FormToken.randomKey().count == 32)
        #expect(FormToken.randomKey() != FormToken.randomKey())
    }
}
