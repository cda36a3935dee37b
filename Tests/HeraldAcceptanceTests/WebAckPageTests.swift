import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// The page behind the ack link of a real webhook, over plain HTTP: what it shows,
    /// its headers, its escaping, its form protection, and that GET changes nothing.
    @Suite struct AckPage {
        typealias K = EscalationKit

        /// Posts one event whose subject has `name` (to check escaping).
        static func post(_ herald: HeraldProcess, value: Double, subject: String, name: String) throws {
            let event: [String: Any] = ["id": "e-\(UUID().uuidString)", "metric": ApiFixture.metric, "value": value,
                                        "subject": ["id": subject, "type": "participant", "name": name],
                                        "relations": ["primary_coordinator": "u-chloe"]]
            let json = String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self)
            #expect(try HTTPClient.post(herald.url("/v1/events"), json: json, token: K.writerToken).status == 202)
        }

        /// The page's hidden form token (its value attribute), read from the HTML.
        static func formToken(_ html: String) -> String? {
            guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
            return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }

        static func postForm(_ url: URL, _ fields: String) throws -> HTTPClient.Response {
            try HTTPClient.send("POST", url, body: Data(fields.utf8), contentType: "application/x-www-form-urlencoded")
        }

        static func pageURL(_ webhook: [String: Any], user: String) -> URL? {
            let entry = (webhook["recipients"] as? [[String: Any]] ?? []).first { $0["id"] as? String == user }
            return ((entry?["ack"] as? [String: Any])?["url"] as? String).flatMap(URL.init(string:))
        }

        @Test func theLinkOpensAPageAndItsButtonAcknowledges() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "3s"))
            try Self.post(herald, value: 35, subject: "p-page", name: "<script>alert(1)</script>")
            let firing = try #require(K.waitForWebhook(receiver, subject: "p-page", transition: "firing"))
            let url = try #require(Self.pageURL(firing, user: "u-adam"))

            let page = try HTTPClient.get(url)
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.header("X-Frame-Options") == "DENY")
            #expect(page.header("Referrer-Policy") == "no-referrer")
            #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
            // The subject's name is shown as text, never as markup.
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; (p-page)"))
            #expect(!page.text.contains("<script"))
            #expect(page.text.contains("Open — nobody has acknowledged it"))
            #expect(page.text.contains(">Acknowledge</button>") && page.text.contains(">Resolve</button>"))
            // Viewing (twice, as a link preview would) changed nothing.
            _ = try HTTPClient.get(url)
            #expect(try K.audit(herald, subject: "p-page").allSatisfy { $0["action"] == nil })

            // A post without the page's form token (another site's form) changes nothing.
            let forged = try Self.postForm(url, "action=acknowledge")
            #expect(forged.status == 403)
            #expect(forged.text.contains("This form has expired"))
            let wrong = try Self.postForm(url, "action=acknowledge&csrf=AAAA")
            #expect(wrong.status == 403)
            #expect(try HTTPClient.send("POST", url, body: Data("{}".utf8)).status == 415)

            let token = try #require(Self.formToken(page.text))
            let done = try Self.postForm(url, "csrf=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&action=acknowledge")
            // The 303 is followed: the page now says what happened and where it stands.
            #expect(done.status == 200, "\(done.text)")
            #expect(done.text.contains("You acknowledged this episode"))
            #expect(done.text.contains("Acknowledged by Adam"))
            #expect(!done.text.contains(">Acknowledge</button>"))
            // The escalation (due 3 s after firing) does not come.
            Thread.sleep(forTimeInterval: 4)
            #expect(K.webhooks(receiver, subject: "p-page", transition: "escalated").isEmpty)
            #expect(try K.audit(herald, subject: "p-page").contains { $0["action"] as? String == "acknowledge" && $0["actor"] as? String == "u-adam" })
            #expect(herald.stop() == 0)
        }

        @Test func forgedAndExpiredLinksShowWhatToDo() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            let forged = try HTTPClient.get(herald.url("/ack/not-a-token"))
            #expect(forged.status == 403)
            #expect(forged.text.contains("This link is not valid"))
            #expect(forged.header("X-Frame-Options") == "DENY")
            let stale = try K.signedToken(episode: "utilisation-variance/p-x/1@1", user: "u-adam",
                                          expiry: Int(Date().timeIntervalSince1970) - 60)
            let expired = try HTTPClient.get(herald.url("/ack/\(stale)"))
            #expect(expired.status == 410)
            #expect(expired.text.contains("This link has expired"))
            #expect(try Self.postForm(herald.url("/ack/\(stale)"), "action=acknowledge").status == 410)
            let css = try HTTPClient.get(herald.url("/assets/herald.css"))
            #expect(css.status == 200)
            #expect(css.header("Content-Type") == "text/css; charset=utf-8")
            #expect(herald.stop() == 0)
        }
    }
}
