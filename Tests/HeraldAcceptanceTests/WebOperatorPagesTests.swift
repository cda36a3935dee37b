import Foundation
import Testing
import HeraldTestKit

extension EscalationTests {
    /// The operator UI's other pages over plain HTTP (see `OperatorUI` for the helpers):
    /// what each token's scopes allow, silences made and expired from the page and their
    /// audit records, the audit page, and the directory lookup.
    @Suite struct OperatorUIPages {
        typealias K = EscalationKit
        typealias UI = OperatorUI

        /// Signs in with `token`: the session cookie and the pages' form token.
        static func signIn(_ herald: HeraldProcess, token: String) throws -> (cookie: String, csrf: String) {
            let page = try UI.raw(herald, "GET", "/ui/sign-in")
            let signInToken = try #require(AckPage.formToken(UI.text(page)))
            let signedIn = try UI.raw(herald, "POST", "/ui/sign-in", form: "csrf=\(UI.encode(signInToken))&token=\(UI.encode(token))")
            #expect(signedIn.status == 303)
            let cookie = String(try #require(UI.header(signedIn, "Set-Cookie")).split(separator: ";")[0])
            let csrf = try #require(AckPage.formToken(UI.text(try UI.raw(herald, "GET", "/ui/", cookie: cookie))))
            return (cookie, csrf)
        }

        static func form(_ fields: [(String, String)]) -> String {
            fields.map { "\($0.0)=\(UI.encode($0.1))" }.joined(separator: "&")
        }

        /// Every page: 303 to the sign-in form without a session; with one, 200 and the
        /// headers every Herald page carries.
        @Test func everyPageNeedsASessionAndCarriesTheSecurityHeaders() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            let session = try Self.signIn(herald, token: K.ackToken)
            for path in ["/ui/", "/ui/audit", "/ui/silences", "/ui/silences?ended=1", "/ui/dead-letters", "/ui/directory", "/ui/directory?q=a"] {
                let anonymous = try UI.raw(herald, "GET", path)
                #expect(anonymous.status == 303 && UI.header(anonymous, "Location") == "/ui/sign-in", "\(path)")
                let page = try UI.raw(herald, "GET", path, cookie: session.cookie)
                #expect(page.status == 200, "\(path): \(UI.text(page))")
                #expect(UI.header(page, "Content-Type") == "text/html; charset=utf-8")
                #expect(UI.header(page, "Content-Security-Policy")?.hasPrefix("default-src 'none'") == true)
                #expect(UI.header(page, "X-Frame-Options") == "DENY" && UI.header(page, "Referrer-Policy") == "no-referrer")
                #expect(UI.header(page, "Cache-Control") == "no-store")
                #expect(!UI.text(page).contains("<script"), "\(path)")
            }
            for (path, form) in [("/ui/silences", "rule=x"), ("/ui/silences/expire", "id=x"), ("/ui/dead-letters/retry", "id=x"), ("/ui/episodes/act", "episode=x")] {
                let anonymous = try UI.raw(herald, "POST", path, form: form)
                #expect(anonymous.status == 303 && UI.header(anonymous, "Location") == "/ui/sign-in", "\(path)")
            }
            #expect(herald.stop() == 0)
        }

        /// A token with `ack` (and `read`) acts on episodes, audited as its operator; it
        /// sees no silence or retry buttons, and posting those forms anyway is refused.
        @Test func anAckTokenActsOnEpisodesButNotOnSilencesOrRetries() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            try AckPage.post(herald, value: 35, subject: "p-acker", name: "Ada Acker")
            _ = try #require(K.waitForWebhook(receiver, subject: "p-acker", transition: "firing"))
            // The receiver answers 404: wait for the firing notice's dead letter.
            #expect(Poll.until(timeout: K.patience) {
                ((try? HTTPClient.get(herald.url("/v1/dead-letters"), token: K.writerToken))?.json["deadLetters"] as? [Any])?.isEmpty == false
            })
            let deadLetter = try #require(((try HTTPClient.get(herald.url("/v1/dead-letters"), token: K.writerToken)).json["deadLetters"] as? [[String: Any]])?
                .first?["deliveryId"] as? String)
            let (cookie, csrf) = try Self.signIn(herald, token: K.ackToken)

            let page = UI.text(try UI.raw(herald, "GET", "/ui/?state=open", cookie: cookie))
            #expect(page.contains(">Acknowledge</button>") && page.contains(">Resolve</button>"))
            #expect(!page.contains("Silence 1 h"))
            #expect(page.contains("Sign out (acker)"))
            let dead = UI.text(try UI.raw(herald, "GET", "/ui/dead-letters", cookie: cookie))
            #expect(dead.contains(deadLetter) && !dead.contains(">Retry</button>"))
            #expect(!UI.text(try UI.raw(herald, "GET", "/ui/silences", cookie: cookie)).contains("Create silence"))

            let silence = try UI.raw(herald, "POST", "/ui/silences", cookie: cookie,
                                     form: Self.form([("csrf", csrf), ("rule", K.rule), ("subject", "p-acker"), ("duration", "1h")]))
            #expect(silence.status == 403)
            #expect(UI.text(silence).contains("needs a token with the admin scope"))
            #expect((try HTTPClient.get(herald.url("/v1/silences"), token: K.writerToken).json["silences"] as? [Any])?.isEmpty == true)
            #expect(try UI.raw(herald, "POST", "/ui/dead-letters/retry", cookie: cookie, form: Self.form([("csrf", csrf), ("id", deadLetter)])).status == 403)
            #expect(((try HTTPClient.get(herald.url("/v1/dead-letters"), token: K.writerToken)).json["deadLetters"] as? [[String: Any]])?
                .contains { $0["deliveryId"] as? String == deadLetter } == true)

            let episode = try #require(((try HTTPClient.get(herald.url("/v1/episodes?subject=p-acker"), token: K.writerToken)).json["episodes"]
                                        as? [[String: Any]])?.first?["id"] as? String)
            let acked = try UI.raw(herald, "POST", "/ui/episodes/act", cookie: cookie,
                                   form: Self.form([("csrf", csrf), ("episode", episode), ("action", "acknowledge")]))
            #expect(acked.status == 303 && UI.header(acked, "Location") == "/ui/?done=acknowledge", "\(UI.text(acked))")
            #expect(try K.audit(herald, subject: "p-acker").contains { $0["action"] as? String == "acknowledge" && $0["actor"] as? String == "operator:acker" })
            let given = try UI.raw(herald, "POST", "/ui/episodes/act", cookie: cookie,
                                   form: Self.form([("csrf", csrf), ("episode", episode), ("action", "unacknowledge")]))
            #expect(given.status == 303)
            let after = try HTTPClient.get(herald.url("/v1/episodes?subject=p-acker"), token: K.writerToken)
            #expect((after.json["episodes"] as? [[String: Any]])?.first?["state"] as? String == "open")
            #expect(herald.stop() == 0)
        }

        /// An admin makes a silence with the page's form, sees it listed, expires it; each
        /// change (and the API's, and a re-queue) is in the audit log with the token's id.
        @Test func silencesFromThePageAreListedExpiredAndAudited() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            let (cookie, csrf) = try Self.signIn(herald, token: K.writerToken)
            let empty = UI.text(try UI.raw(herald, "GET", "/ui/silences", cookie: cookie))
            #expect(empty.contains(">Create silence</button>") && empty.contains("Nothing is silenced now."))
            #expect(empty.contains(#"<option value="utilisation-variance">Utilisation variance (utilisation-variance)</option>"#))

            // Refused forms name the problem and change nothing.
            let base: [(String, String)] = [("csrf", csrf), ("return", "silences"), ("duration", "4h"), ("comment", "c")]
            let matchesAll = try UI.raw(herald, "POST", "/ui/silences", cookie: cookie, form: Self.form(base))
            #expect(matchesAll.status == 400 && UI.text(matchesAll).contains("That silence is not valid"))
            let badLabel = try UI.raw(herald, "POST", "/ui/silences", cookie: cookie, form: Self.form(base + [("label", "env")]))
            #expect(badLabel.status == 400 && UI.text(badLabel).contains("NAME=VALUE"))
            let unknownRule = try UI.raw(herald, "POST", "/ui/silences", cookie: cookie, form: Self.form(base + [("rule", "nope")]))
            #expect(unknownRule.status == 400 && UI.text(unknownRule).contains("nope"))
            #expect(try UI.raw(herald, "POST", "/ui/silences", cookie: cookie, form: Self.form(Array(base.dropFirst()) + [("subject", "p-sil")])).status == 403)
            #expect((try HTTPClient.get(herald.url("/v1/silences"), token: K.writerToken).json["silences"] as? [Any])?.isEmpty == true)

            let made = try UI.raw(herald, "POST", "/ui/silences", cookie: cookie, form: Self.form([
                ("csrf", csrf), ("return", "silences"), ("rule", K.rule), ("subject", "p-sil"), ("subjectType", ""),
                ("label", "env=<prod>"), ("duration", "4h"), ("comment", "<b>maintenance</b>"),
            ]))
            #expect(made.status == 303 && UI.header(made, "Location") == "/ui/silences?done=created", "\(UI.text(made))")
            let listed = try #require((try HTTPClient.get(herald.url("/v1/silences"), token: K.writerToken).json["silences"] as? [[String: Any]])?.first)
            let id = try #require(listed["id"] as? String)
            #expect(listed["author"] as? String == "operator:writer" && listed["comment"] as? String == "<b>maintenance</b>")
            #expect(listed["status"] as? String == "active")
            let matcher = listed["matcher"] as? [String: Any]
            #expect(matcher?["ruleID"] as? String == K.rule && matcher?["subjectID"] as? String == "p-sil")
            #expect((matcher?["labels"] as? [String: String]) == ["env": "<prod>"])
            let starts = try #require(K.date(listed["startsAt"])), ends = try #require(K.date(listed["endsAt"]))
            #expect(abs(ends.timeIntervalSince(starts) - 4 * 3600) < 1)
            let page = UI.text(try UI.raw(herald, "GET", "/ui/silences?done=created", cookie: cookie))
            #expect(page.contains("Silence created"))
            #expect(page.contains("&lt;b&gt;maintenance&lt;/b&gt;") && page.contains("label env=&lt;prod&gt;") && !page.contains("<b>maintenance"))
            #expect(page.contains(#"<input type="hidden" name="id" value="\#(id)"><button type="submit" class="secondary">Expire</button>"#))

            let expired = try UI.raw(herald, "POST", "/ui/silences/expire", cookie: cookie, form: Self.form([("csrf", csrf), ("id", id)]))
            #expect(expired.status == 303 && UI.header(expired, "Location") == "/ui/silences?done=expired")
            #expect((try HTTPClient.get(herald.url("/v1/silences"), token: K.writerToken).json["silences"] as? [[String: Any]])?.first?["status"] as? String == "expired")
            #expect(!UI.text(try UI.raw(herald, "GET", "/ui/silences", cookie: cookie)).contains(id))
            #expect(UI.text(try UI.raw(herald, "GET", "/ui/silences?ended=1", cookie: cookie)).contains(#"<span class="state silence-expired">expired</span>"#))
            #expect(try UI.raw(herald, "POST", "/ui/silences/expire", cookie: cookie, form: Self.form([("csrf", csrf), ("id", "sil-none")])).status == 404)

            // The API's changes go through the same path: audited with the token's id too.
            let api = #"{"id": "api-s1", "matcher": {"subjectID": "p-sil"}, "duration": "1h", "author": "ops", "comment": "api"}"#
            #expect(try HTTPClient.post(herald.url("/v1/silences"), json: api, token: K.writerToken).status == 201)
            let purged = try HTTPClient.send("DELETE", herald.url("/v1/silences/api-s1?purge=true"), token: K.writerToken)
            #expect(purged.status == 204)
            #expect(try HTTPClient.send("DELETE", herald.url("/v1/silences/api-s1?purge=true"), token: K.writerToken).status == 404)
            #expect(try HTTPClient.send("DELETE", herald.url("/v1/silences/api-s1?purge=maybe"), token: K.writerToken).status == 400)

            let audit = try K.audit(herald, subject: "p-sil")
            let actions = audit.compactMap { entry -> String? in
                guard let action = entry["action"] as? String, let actor = entry["actor"] as? String else { return nil }
                return "\(action) \(actor) \((entry["silence"] as? [String: Any])?["id"] as? String ?? "?")"
            }
            // Newest first.
            #expect(actions == ["delete-silence operator:writer api-s1", "silence operator:writer api-s1",
                                "expire-silence operator:writer \(id)", "silence operator:writer \(id)"], "\(audit)")
            #expect(audit.allSatisfy { ($0["subject"] as? [String: Any])?["id"] as? String == "p-sil" })
            let auditPage = UI.text(try UI.raw(herald, "GET", "/ui/audit?subject=p-sil", cookie: cookie))
            #expect(auditPage.contains(#"<span class="kind-action">expire-silence</span>"#) && auditPage.contains("<td>operator:writer</td>"))
            #expect(auditPage.contains("silence \(id) until "))
            #expect(herald.stop() == 0)
        }

        /// A dead letter re-queued from the page is an audit record naming the operator
        /// and the webhook, filed under the notice's rule and subject.
        @Test func aRetryFromThePageIsAudited() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            try AckPage.post(herald, value: 35, subject: "p-retry", name: "Rex Retry")
            #expect(Poll.until(timeout: K.patience) {
                ((try? HTTPClient.get(herald.url("/v1/dead-letters"), token: K.writerToken))?.json["deadLetters"] as? [Any])?.isEmpty == false
            })
            let letter = try #require(((try HTTPClient.get(herald.url("/v1/dead-letters"), token: K.writerToken)).json["deadLetters"] as? [[String: Any]])?.first)
            let id = try #require(letter["deliveryId"] as? String)
            let (cookie, csrf) = try Self.signIn(herald, token: K.writerToken)
            let retried = try UI.raw(herald, "POST", "/ui/dead-letters/retry", cookie: cookie, form: Self.form([("csrf", csrf), ("id", id)]))
            #expect(retried.status == 303)
            let record = try #require(try K.audit(herald, subject: "p-retry").first { $0["action"] as? String == "retry-dead-letter" })
            #expect(record["actor"] as? String == "operator:writer")
            #expect((record["rule"] as? [String: Any])?["id"] as? String == K.rule)
            let dead = record["deadLetter"] as? [String: Any]
            #expect(dead?["deliveryId"] as? String == id && dead?["notificationId"] as? String == letter["notificationId"] as? String)
            #expect(dead?["destination"] as? String == letter["destination"] as? String)
            let page = UI.text(try UI.raw(herald, "GET", "/ui/audit", cookie: cookie))
            #expect(page.contains(#"<span class="kind-action">retry-dead-letter</span>"#) && page.contains("webhook \(id) to "))
            #expect(page.contains(#"<span class="kind-notice">firing</span>"#))
            #expect(try UI.raw(herald, "POST", "/ui/dead-letters/retry", cookie: cookie, form: Self.form([("csrf", csrf), ("id", "msg_none")])).status == 404)
            #expect(herald.stop() == 0)
        }

        /// Find a person, then see their roles, groups, rights, contact routes and the
        /// rules that reach them with the resolver's paths.
        @Test func theDirectoryLookupShowsWhoSomeoneIsAndWhatReachesThem() throws {
            let receiver = try PythonReceiver(secrets: [K.secret])
            let herald = try K.start(try K.config(receiver: receiver, after: "30s"))
            let (cookie, _) = try Self.signIn(herald, token: K.ackToken)
            let search = UI.text(try UI.raw(herald, "GET", "/ui/directory?q=MAY", cookie: cookie))
            #expect(search.contains(#"<a href="/ui/directory?user=u-maya">"#), "\(search)")
            #expect(!search.contains("u-adam"))
            let found = try UI.raw(herald, "GET", "/ui/directory?user=u-maya", cookie: cookie)
            #expect(found.status == 200)
            let html = UI.text(found)
            #expect(html.contains("<li>Manager (manager)</li>"))
            #expect(html.contains("<td>Support coordinator managers (sc-managers)</td><td>group:sc-managers</td>"), "\(html)")
            #expect(html.contains("<li>participants.view</li>"))
            #expect(html.contains("<td>tier 20%</td>") && html.contains("<td>group:sc-managers</td>"))
            #expect(html.contains("<td>phone</td><td>+61 400 000 001</td>") && html.contains("<td>e-mail</td><td>maya@example.org</td>"))
            #expect(html.contains("Australia/Sydney, 2 window(s)"))
            #expect(!html.contains("<td>any episode</td>"))   // alerts.ack is only an additional right of managers
            // Noah was granted alerts.ack, one of the rule's acknowledgeRights.
            #expect(UI.text(try UI.raw(herald, "GET", "/ui/directory?user=u-noah", cookie: cookie)).contains("<td>any episode</td>"))
            let former = UI.text(try UI.raw(herald, "GET", "/ui/directory?user=u-former", cookie: cookie))
            #expect(former.contains("no — told nothing") && former.contains("left out — group:manager: inactive"))
            let unknown = try UI.raw(herald, "GET", "/ui/directory?user=%3Cscript%3E", cookie: cookie)
            #expect(unknown.status == 404 && UI.text(unknown).contains("no user &#39;&lt;script&gt;&#39;"))
            #expect(herald.stop() == 0)
        }
    }
}
