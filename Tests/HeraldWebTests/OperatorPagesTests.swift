import Foundation
import Testing
@testable import HeraldWeb

/// The operator pages show only the buttons the signed-in token may use, carry the form
/// token in every form, and render every piece of data as text.
struct OperatorPagesTests {
    static let readOnly = OperatorPages.Permissions(episodes: false, admin: false)
    static let acker = OperatorPages.Permissions(episodes: true, admin: false)
    static let admin = OperatorPages.Permissions(episodes: false, admin: true)

    static let episode = OperatorPages.EpisodeRow(id: "r/s/1@1", rule: "Rule", subject: "<b>s</b>", tier: "10%", state: "open",
                                                  since: "now", told: "Ann", delivery: "firing: delivered", ruleID: "r", subjectID: "s")

    static func episodes(_ may: OperatorPages.Permissions) -> String {
        OperatorPages.episodes([episode], filter: ("open", "", ""), formToken: "T", may: may, who: "me", notice: nil).html.rendered
    }

    /// Permissions: `admin` implies acting on episodes (as the API allows).
    @Test func adminImpliesEpisodeActions() {
        #expect(Self.admin.episodes && Self.admin.admin)
        #expect(Self.acker.episodes && !Self.acker.admin)
    }

    /// Read-only: no Actions column; ack: episode buttons but no silence; admin: all.
    @Test(arguments: [
        (readOnly, false, false),
        (acker, true, false),
        (admin, true, true),
    ])
    func episodeButtonsFollowThePermissions(may: OperatorPages.Permissions, episodeButtons: Bool, silenceButton: Bool) {
        let html = Self.episodes(may)
        #expect(html.contains(">Acknowledge</button>") == episodeButtons)
        #expect(html.contains(">Resolve</button>") == episodeButtons)
        #expect(html.contains(">Silence 1 h</button>") == silenceButton)
        #expect(html.contains(">Actions</th>") == episodeButtons)
        #expect(html.contains("&lt;b&gt;s&lt;/b&gt;") && !html.contains("<b>"))
    }

    static let silence = OperatorPages.SilenceRow(id: "sil-1", status: "active", matcher: "subject=<i>x</i>", starts: "a", ends: "b",
                                                  author: "operator:w", comment: "\"quoted\" & <em>")

    @Test func silencesFormAndExpireAreForAdminsOnly() {
        let rules = [("r-1", "Rule <one>")]
        let forAdmin = OperatorPages.silences([Self.silence], rules: rules, showEnded: false, formToken: "T", may: Self.admin, who: "w", notice: nil).html.rendered
        #expect(forAdmin.contains(#"<form method="post" action="/ui/silences" class="panel">"#))
        #expect(forAdmin.contains(">Create silence</button>") && forAdmin.contains(">Expire</button>"))
        #expect(forAdmin.contains(#"<option value="r-1">Rule &lt;one&gt; (r-1)</option>"#))
        #expect(forAdmin.contains(#"<label for="comment">Why</label>"#))
        #expect(forAdmin.components(separatedBy: #"name="csrf" value="T""#).count - 1 == 3)   // form, expire, sign-out
        #expect(forAdmin.contains("subject=&lt;i&gt;x&lt;/i&gt;") && forAdmin.contains("&quot;quoted&quot; &amp; &lt;em&gt;"))
        let forAcker = OperatorPages.silences([Self.silence], rules: rules, showEnded: false, formToken: "T", may: Self.acker, who: "w", notice: nil).html.rendered
        #expect(!forAcker.contains("Create silence") && !forAcker.contains(">Expire</button>"))
        #expect(forAcker.contains("sil-1"))
        let ended = OperatorPages.SilenceRow(id: "sil-2", status: "expired", matcher: "rule=r", starts: "a", ends: "b", author: "x", comment: "y")
        let all = OperatorPages.silences([ended], rules: [], showEnded: true, formToken: "T", may: Self.admin, who: "w", notice: nil).html.rendered
        #expect(!all.contains(">Expire</button>"))
        #expect(all.contains(#"href="/ui/silences">Hide ended silences"#))
    }

    @Test func deadLetterRetryIsForAdminsOnly() {
        let row = OperatorPages.DeadLetterRow(id: "msg_1", target: "ops", notice: "n", attempts: "3", error: "<500>", deadAt: "t")
        #expect(OperatorPages.deadLetters([row], formToken: "T", may: Self.admin, who: "w", notice: nil).html.rendered.contains(">Retry</button>"))
        let acker = OperatorPages.deadLetters([row], formToken: "T", may: Self.acker, who: "w", notice: nil).html.rendered
        #expect(!acker.contains(">Retry</button>") && acker.contains("&lt;500&gt;"))
    }

    @Test func directoryShowsThePersonAndLinksMatchesSafely() {
        let person = OperatorPages.Person(
            id: "u/1", name: "<Ann>", facts: [("Id", "u/1")], roles: ["Manager (manager)"], groups: [("Ops (ops)", "group:ops (role:manager)")],
            rights: ["alerts.ack"], routes: [("e-mail", "ann@example.com")],
            reach: [OperatorPages.ReachRow(rule: "R (r)", stage: "tier 10%", how: "group:ops", told: true),
                    OperatorPages.ReachRow(rule: "R (r)", stage: "tier 20%", how: "left out — role:x: lacks right 'y'", told: false),
                    OperatorPages.ReachRow(rule: "R (r)", stage: "any episode", how: "may acknowledge", told: nil)])
        let match = OperatorPages.DirectoryMatch(id: "u/1 &x", name: "<Ann>", active: false, roles: "Manager")
        let html = OperatorPages.directory(query: "<a", matches: [match], more: true, person: person, formToken: "T", who: "w", notice: nil).html.rendered
        #expect(html.contains(#"<a href="/ui/directory?user=u%2F1%20%26x">&lt;Ann&gt; (u/1 &amp;x)</a> — Manager, inactive"#))
        #expect(html.contains("<title>&lt;Ann&gt; (u/1) · Herald</title>"))
        #expect(html.contains("More people match"))
        #expect(html.contains("<td>group:ops (role:manager)</td>"))
        #expect(html.contains(#"<span class="state resolved">yes</span>"#) && html.contains(#"<span class="state open">no</span>"#))
        #expect(html.contains("<td>left out — role:x: lacks right &#39;y&#39;</td>"))
        #expect(html.contains("<td>—</td>"))
        #expect(html.contains("<td>ann@example.com</td>"))
        #expect(!html.contains("<Ann>"))
        let none = OperatorPages.directory(query: "zz", matches: [], more: false, person: nil, formToken: "T", who: "w", notice: nil).html.rendered
        #expect(none.contains("Nobody matches “zz”."))
    }

    @Test func auditMarksActionsAndLinksOlderEntries() {
        let rows = [
            OperatorPages.AuditRow(at: "t1", what: "silence", rule: "r", subject: "", tier: "—", who: "operator:w", outcome: "silence s until x", isAction: true),
            OperatorPages.AuditRow(at: "t0", what: "firing", rule: "r", subject: "<s>", tier: "10%", who: "Ann", outcome: "delivered", isAction: false),
        ]
        let html = OperatorPages.audit(rows, filter: ("r", ""), older: "/ui/audit?rule=r&after=5", formToken: "T", who: "w").html.rendered
        #expect(html.contains(#"<span class="kind-action">silence</span>"#) && html.contains(#"<span class="kind-notice">firing</span>"#))
        #expect(html.contains("<td>operator:w</td>") && html.contains("&lt;s&gt;"))
        #expect(html.contains(#"<a href="/ui/audit?rule=r&amp;after=5">Older entries</a>"#))
        #expect(html.contains(#"<a href="/ui/audit" aria-current="page">Audit log</a>"#))
    }

    @Test func queryValuesKeepOnlyUnreservedCharacters() {
        #expect(OperatorPages.queryValue("a-b_c.d~e") == "a-b_c.d~e")
        #expect(OperatorPages.queryValue("u/1 &x=é") == "u%2F1%20%26x%3D%C3%A9")
    }
}
