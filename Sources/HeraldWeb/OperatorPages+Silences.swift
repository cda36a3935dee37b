/// The silences page: what is held back now or soon (ended ones on request), then a form
/// to make a new silence and an Expire button on each one that has not ended — both for
/// tokens with the admin scope only, as in the API.
extension OperatorPages {
    /// One silence, as text.
    public struct SilenceRow: Sendable {
        public var id: String
        /// `active`, `pending` or `expired`.
        public var status: String
        /// `rule=…, subject=…, label env=prod`.
        public var matcher: String
        public var starts: String
        public var ends: String
        public var author: String
        public var comment: String
        public init(id: String, status: String, matcher: String, starts: String, ends: String, author: String, comment: String) {
            (self.id, self.status, self.matcher, self.starts, self.ends, self.author, self.comment) = (id, status, matcher, starts, ends, author, comment)
        }
    }

    /// How long a silence made with the form lasts (the API takes any duration up to a year).
    public static let silenceDurations: [(String, String)] = [("1h", "1 hour"), ("4h", "4 hours"), ("1d", "1 day"), ("7d", "7 days")]

    /// The list and, for admins, the form. `rules` are (id, name) for the rule drop-down.
    public static func silences(_ rows: [SilenceRow], rules: [(String, String)], showEnded: Bool, formToken: String,
                                may: Permissions, who: String, notice: Notice?) -> WebPage {
        var body: [HTML] = [notice?.html ?? .empty]
        body.append(.element("h2", [], [showEnded ? "All silences" : "Active and pending silences"]))
        body.append(.element("p", [], [showEnded ? .element("a", [Attribute("href", "/ui/silences")], ["Hide ended silences"])
                                                  : .element("a", [Attribute("href", "/ui/silences?ended=1")], ["Show ended silences too"])]))
        let header = ["Status", "Matches", "Starts", "Ends", "Author", "Comment", "Id"] + (may.admin ? ["Actions"] : [])
        body.append(table(header, rows.map { r in
            var cells: [HTML] = [.element("span", [Attribute("class", "state silence-\(r.status)")], [.text(r.status)])]
            cells += [r.matcher, r.starts, r.ends, r.author, r.comment, r.id].map { .text($0) }
            if may.admin {
                cells.append(r.status == "expired" ? .text("—")
                             : button("/ui/silences/expire", "Expire", formToken: formToken, fields: [("id", r.id)], style: "secondary"))
            }
            return cells
        }))
        if rows.isEmpty {
            body.append(.element("p", [Attribute("class", "muted")], [showEnded ? "No silences." : "Nothing is silenced now."]))
        }
        if may.admin { body.append(silenceForm(rules: rules, formToken: formToken)) }
        return WebPage(title: "Silences", body: body, navigation: navigation(formToken: formToken, who: who, current: "/ui/silences"))
    }

    /// A new silence: the rule (or any), subject id and type, one label, how long, why.
    static func silenceForm(rules: [(String, String)], formToken: String) -> HTML {
        .element("form", [Attribute("method", "post"), Attribute("action", "/ui/silences"), Attribute("class", "panel")], [
            .element("h2", [], ["New silence"]),
            .element("p", [Attribute("class", "muted")], ["Notices that match every field you fill in are recorded but not sent until the silence ends."]),
            hidden(FormToken.field, formToken), hidden("return", "silences"),
            select("rule", "Rule", [("", "any rule")] + rules.map { ($0.0, "\($0.1) (\($0.0))") }, selected: ""),
            field("subject", "Subject id (empty: any)", ""),
            field("subjectType", "Subject type (empty: any)", ""),
            field("label", "Event label NAME=VALUE (empty: any)", ""),
            select("duration", "For", silenceDurations, selected: "1h"),
            .element("div", [], [
                .element("label", [Attribute("for", "comment")], ["Why"]),
                .void("input", [Attribute("type", "text"), Attribute("id", "comment"), Attribute("name", "comment"), Attribute(flag: "required")]),
            ]),
            .element("div", [Attribute("class", "actions")], [.element("button", [Attribute("type", "submit")], ["Create silence"])]),
        ])
    }
}
