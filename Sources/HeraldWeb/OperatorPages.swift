/// The operator UI's pages (`/ui/`): sign-in, and the open episodes with their
/// actions (the other pages are in `OperatorPages+*.swift`). Pure: rows of text in,
/// HTML out; every state change is a POST form that carries the session's form token,
/// and a page shows only the buttons the signed-in token may use.
public enum OperatorPages {
    /// What the signed-in token may change; everyone signed in may look.
    public struct Permissions: Sendable, Equatable {
        /// Acknowledge, give back and resolve episodes (scope `ack` or `admin`).
        public var episodes: Bool
        /// Create and expire silences, re-queue dead letters (scope `admin`).
        public var admin: Bool
        public init(episodes: Bool, admin: Bool) {
            self.episodes = episodes || admin
            self.admin = admin
        }
    }

    /// One episode row.
    public struct EpisodeRow: Sendable {
        public var id: String
        public var rule: String
        public var subject: String
        public var tier: String
        public var state: String
        public var since: String
        public var told: String
        public var delivery: String
        /// Rule and subject ids, for "silence this".
        public var ruleID: String
        public var subjectID: String
        public init(id: String, rule: String, subject: String, tier: String, state: String, since: String, told: String, delivery: String,
                    ruleID: String, subjectID: String) {
            (self.id, self.rule, self.subject, self.tier, self.state, self.since, self.told, self.delivery) =
                (id, rule, subject, tier, state, since, told, delivery)
            (self.ruleID, self.subjectID) = (ruleID, subjectID)
        }
    }

    public static func signIn(formToken: String, notice: Notice? = nil) -> WebPage {
        WebPage(title: "Sign in", body: [
            notice?.html ?? .empty,
            .element("form", [Attribute("method", "post"), Attribute("action", "/ui/sign-in")], [
                hidden(FormToken.field, formToken),
                .element("label", [Attribute("for", "token")], ["API token (scope read; ack to act on episodes, admin for silences and retries)"]),
                .void("input", [Attribute("type", "password"), Attribute("id", "token"), Attribute("name", "token"),
                                Attribute("autocomplete", "current-password"), Attribute(flag: "required")]),
                .element("div", [Attribute("class", "actions")], [.element("button", [Attribute("type", "submit")], ["Sign in"])]),
            ]),
        ])
    }

    /// The navigation bar with the sign-out form.
    public static func navigation(formToken: String, who: String, current: String = "/ui/") -> HTML {
        let link = { (href: String, label: String) -> HTML in
            .element("a", [Attribute("href", href)] + (href == current ? [Attribute("aria-current", "page")] : []), [.text(label)])
        }
        return .element("nav", [Attribute("aria-label", "Herald")], [
            link("/ui/", "Episodes"), link("/ui/audit", "Audit log"), link("/ui/silences", "Silences"),
            link("/ui/dead-letters", "Dead letters"), link("/ui/directory", "Directory"),
            .element("form", [Attribute("method", "post"), Attribute("action", "/ui/sign-out")], [
                hidden(FormToken.field, formToken),
                .element("button", [Attribute("type", "submit"), Attribute("class", "link")], [.text("Sign out (\(who))")]),
            ]),
        ])
    }

    /// Episodes with filters, and Acknowledge / Resolve for those who may act.
    public static func episodes(_ rows: [EpisodeRow], filter: (state: String, rule: String, subject: String), formToken: String,
                                may: Permissions, who: String, notice: Notice?) -> WebPage {
        let states = ["open", "acknowledged", "resolved", ""]
        let filters = HTML.element("form", [Attribute("method", "get"), Attribute("action", "/ui/"), Attribute("class", "filters")], [
            .element("div", [], [
                .element("label", [Attribute("for", "state")], ["State"]),
                .element("select", [Attribute("id", "state"), Attribute("name", "state")], states.map { state in
                    .element("option", [Attribute("value", state)] + (state == filter.state ? [Attribute(flag: "selected")] : []),
                             [.text(state.isEmpty ? "any" : state)])
                }),
            ]),
            field("rule", "Rule id", filter.rule), field("subject", "Subject id", filter.subject),
            .element("button", [Attribute("type", "submit"), Attribute("class", "secondary")], ["Filter"]),
        ])
        let header = ["Rule", "Subject", "Tier", "State", "Since", "Told", "Delivery"] + (may.episodes ? ["Actions"] : [])
        let table = HTML.element("div", [Attribute("class", "scroll")], [.element("table", [], [
            .element("thead", [], [.element("tr", [], header.map { .element("th", [Attribute("scope", "col")], [.text($0)]) })]),
            .element("tbody", [], rows.map { row(_: $0, formToken: formToken, may: may) }),
        ])])
        let empty: HTML = rows.isEmpty ? .element("p", [Attribute("class", "muted")], ["No episodes match."]) : .empty
        return WebPage(title: "Episodes", body: [notice?.html ?? .empty, filters, table, empty],
                       navigation: navigation(formToken: formToken, who: who))
    }

    static func row(_ r: EpisodeRow, formToken: String, may: Permissions) -> HTML {
        var cells: [HTML] = [r.rule, r.subject, r.tier, r.since, r.told, r.delivery].map { .element("td", [], [.text($0)]) }
        cells.insert(.element("td", [], [.element("span", [Attribute("class", "state \(r.state)")], [.text(r.state)])]), at: 3)
        if may.episodes {
            var forms: [HTML] = []
            if r.state == "open" { forms.append(action(r.id, "acknowledge", "Acknowledge", formToken)) }
            if r.state == "acknowledged" { forms.append(action(r.id, "unacknowledge", "Give back", formToken)) }
            if r.state != "resolved" { forms.append(action(r.id, "resolve", "Resolve", formToken)) }
            if may.admin { forms.append(silence(r, formToken)) }
            cells.append(.element("td", [], [.element("div", [Attribute("class", "actions")], forms)]))
        }
        return .element("tr", [], cells)
    }

    static func action(_ episode: String, _ action: String, _ label: String, _ formToken: String) -> HTML {
        .element("form", [Attribute("method", "post"), Attribute("action", "/ui/episodes/act")], [
            hidden(FormToken.field, formToken), hidden("episode", episode), hidden("action", action),
            .element("button", [Attribute("type", "submit")] + (action == "acknowledge" ? [] : [Attribute("class", "secondary")]),
                     [.text(label)]),
        ])
    }

    /// Holds this rule's notices about this subject for an hour (a silence).
    static func silence(_ r: EpisodeRow, _ formToken: String) -> HTML {
        .element("form", [Attribute("method", "post"), Attribute("action", "/ui/silences")], [
            hidden(FormToken.field, formToken), hidden("rule", r.ruleID), hidden("subject", r.subjectID), hidden("duration", "1h"),
            .element("button", [Attribute("type", "submit"), Attribute("class", "secondary")], ["Silence 1 h"]),
        ])
    }

    static func field(_ name: StaticString, _ label: String, _ value: String) -> HTML {
        .element("div", [], [
            .element("label", [Attribute("for", "\(name)")], [.text(label)]),
            .void("input", [Attribute("type", "text"), Attribute("id", "\(name)"), Attribute("name", "\(name)"), Attribute("value", value)]),
        ])
    }

    static func hidden(_ name: String, _ value: String) -> HTML {
        .void("input", [Attribute("type", "hidden"), Attribute("name", name), Attribute("value", value)])
    }

    /// A table of text cells (already HTML) under column headings, scrolling sideways
    /// inside its own box on a narrow screen rather than widening the page.
    static func table(_ header: [String], _ rows: [[HTML]]) -> HTML {
        .element("div", [Attribute("class", "scroll")], [.element("table", [], [
            .element("thead", [], [.element("tr", [], header.map { .element("th", [Attribute("scope", "col")], [.text($0)]) })]),
            .element("tbody", [], rows.map { .element("tr", [], $0.map { .element("td", [], [$0]) }) }),
        ])])
    }

    /// A labelled drop-down; `options` are (value, label) pairs.
    static func select(_ name: StaticString, _ label: String, _ options: [(String, String)], selected: String) -> HTML {
        .element("div", [], [
            .element("label", [Attribute("for", "\(name)")], [.text(label)]),
            .element("select", [Attribute("id", "\(name)"), Attribute("name", "\(name)")], options.map { value, text in
                .element("option", [Attribute("value", value)] + (value == selected ? [Attribute(flag: "selected")] : []), [.text(text)])
            }),
        ])
    }

    /// A POST form of one button with hidden fields (the form token first).
    static func button(_ action: String, _ label: String, formToken: String, fields: [(String, String)], style: String? = nil) -> HTML {
        .element("form", [Attribute("method", "post"), Attribute("action", action)],
                 [hidden(FormToken.field, formToken)] + fields.map { hidden($0.0, $0.1) } + [
                    .element("button", [Attribute("type", "submit")] + (style.map { [Attribute("class", $0)] } ?? []), [.text(label)]),
                 ])
    }
}
