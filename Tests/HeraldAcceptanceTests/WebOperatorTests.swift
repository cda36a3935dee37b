import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// The operator UI over plain HTTP (redirects not followed, cookies by hand): sign in
    /// with a token, see an episode whose subject is `<script>` as text, acknowledge it
    /// with the session's form token (audited with the actor), sign out.
    @Suite struct OperatorUI {
        typealias K = EscalationKit

        /// One request on a fresh connection, as sent; redirects are not followed.
        static func raw(_ herald: HeraldProcess, _ method: String, _ path: String, cookie: String? = nil,
                        form: String? = nil) throws -> RawHTTPConnection.Response {
            let connection = try RawHTTPConnection(port: herald.port)
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            if let cookie { head += "Cookie: \(cookie)\r\n" }
            let body = form ?? ""
            if form != nil { head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n" }
            _ = connection.send(head + "\r\n" + body)
            return try connection.readResponse(timeout: 10)
        }

        static func text(_ response: RawHTTPConnection.Response) -> String { String(decoding: response.body, as: UTF8.self) }

        static func header(_ response: RawHTTPConnection.Response, _ name: String) -> String? {
            response.headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }

        static func encode(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }

        @Test func signInActOnAnEpisodeAndSignOut() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            try AckPage.post(herald, value: 35, subject: "p-ui", name: "<script>x</script>")
            _ = try #require(K.waitForWebhook(receiver, subject: "p-ui", transition: "firing"))

            // Not signed in: every page sends you to the sign-in form.
            let anonymous = try Self.raw(herald, "GET", "/ui/")
            #expect(anonymous.status == 303)
            #expect(Self.header(anonymous, "Location") == "/ui/sign-in")
            let signInPage = try Self.raw(herald, "GET", "/ui/sign-in")
            #expect(signInPage.status == 200)
            #expect(Self.header(signInPage, "X-Frame-Options") == "DENY")
            #expect(Self.text(signInPage).contains(#"<label for="token">"#))
            let signInToken = try #require(AckPage.formToken(Self.text(signInPage)))

            let wrong = try Self.raw(herald, "POST", "/ui/sign-in", form: "csrf=\(Self.encode(signInToken))&token=nope")
            #expect(wrong.status == 401)
            #expect(Self.header(wrong, "Set-Cookie") == nil)
            let signedIn = try Self.raw(herald, "POST", "/ui/sign-in", form: "csrf=\(Self.encode(signInToken))&token=\(K.writerToken)")
            #expect(signedIn.status == 303)
            let setCookie = try #require(Self.header(signedIn, "Set-Cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/ui"))
            #expect(!setCookie.contains("Secure"))   // plain http on loopback
            let cookie = String(setCookie.split(separator: ";")[0])

            let page = try Self.raw(herald, "GET", "/ui/?state=open", cookie: cookie)
            #expect(page.status == 200)
            let html = Self.text(page)
            #expect(html.contains("&lt;script&gt;x&lt;/script&gt; (p-ui)"))
            #expect(!html.contains("<script"))
            #expect(html.contains(">Acknowledge</button>"))
            let csrf = try #require(AckPage.formToken(html))
            let episodes = try HTTPClient.get(herald.url("/v1/episodes?subject=p-ui"), token: K.writerToken)
            let episode = try #require((episodes.json["episodes"] as? [[String: Any]])?.first?["id"] as? String)

            // Without the form token (a cross-site post): refused, nothing changed.
            let forged = try Self.raw(herald, "POST", "/ui/episodes/act", cookie: cookie,
                                      form: "episode=\(Self.encode(episode))&action=acknowledge")
            #expect(forged.status == 403)
            let done = try Self.raw(herald, "POST", "/ui/episodes/act", cookie: cookie,
                                    form: "csrf=\(Self.encode(csrf))&episode=\(Self.encode(episode))&action=acknowledge")
            #expect(done.status == 303, "\(Self.text(done))")
            #expect(Self.header(done, "Location") == "/ui/?done=acknowledge")
            let after = try HTTPClient.get(herald.url("/v1/episodes?subject=p-ui"), token: K.writerToken)
            #expect((after.json["episodes"] as? [[String: Any]])?.first?["acknowledgedBy"] as? String == "operator:writer")
            #expect(try K.audit(herald, subject: "p-ui").contains { $0["action"] as? String == "acknowledge" && $0["actor"] as? String == "operator:writer" })

            // Dead letters: the test target answers 404, so the firing notice gave up; retry it.
            #expect(Poll.until(timeout: K.patience) {
                (try? Self.raw(herald, "GET", "/ui/dead-letters", cookie: cookie)).map { Self.text($0).contains(">Retry</button>") } == true
            })
            let dead = Self.text(try Self.raw(herald, "GET", "/ui/dead-letters", cookie: cookie))
            let deliveryID = try #require(dead.range(of: #"name="id" value="(msg_[0-9a-f]+)""#, options: .regularExpression).map { String(dead[$0].dropFirst(17).dropLast()) })
            #expect(try Self.raw(herald, "POST", "/ui/dead-letters/retry", cookie: cookie, form: "id=\(deliveryID)").status == 403)
            let retried = try Self.raw(herald, "POST", "/ui/dead-letters/retry", cookie: cookie, form: "csrf=\(Self.encode(csrf))&id=\(deliveryID)")
            #expect(retried.status == 303, "\(Self.text(retried))")
            #expect(Self.header(retried, "Location") == "/ui/dead-letters?done=\(deliveryID)")

            let out = try Self.raw(herald, "POST", "/ui/sign-out", cookie: cookie, form: "csrf=\(Self.encode(csrf))")
            #expect(out.status == 303)
            #expect(Self.header(out, "Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(try Self.raw(herald, "GET", "/ui/", cookie: cookie).status == 303)
            #expect(herald.stop() == 0)
        }
    }
}
