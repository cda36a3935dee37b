/// The audit log page: recent notices with their delivery status, and every change made
/// by hand (episode actions, silences, dead-letter re-queues) with who made it — the
/// same log as `GET /v1/notifications`, newest first, filtered by rule or subject.
extension OperatorPages {
    /// One audit entry, as text.
    public struct AuditRow: Sendable {
        public var at: String
        /// The notice's transition (`firing`) or the action (`acknowledge`, `silence`).
        public var what: String
        public var rule: String
        public var subject: String
        public var tier: String
        /// Who was told, or who acted.
        public var who: String
        /// Delivery status, `held by silence …`, or what an action touched.
        public var outcome: String
        /// An action by hand rather than a notice.
        public var isAction: Bool
        public init(at: String, what: String, rule: String, subject: String, tier: String, who: String, outcome: String, isAction: Bool) {
            (self.at, self.what, self.rule, self.subject, self.tier, self.who, self.outcome, self.isAction) =
                (at, what, rule, subject, tier, who, outcome, isAction)
        }
    }

    /// One page of the log; `older` is the link to the next page, if any.
    public static func audit(_ rows: [AuditRow], filter: (rule: String, subject: String), older: String?, formToken: String,
                             who: String) -> WebPage {
        let filters = HTML.element("form", [Attribute("method", "get"), Attribute("action", "/ui/audit"), Attribute("class", "filters")], [
            field("rule", "Rule id", filter.rule), field("subject", "Subject id", filter.subject),
            .element("button", [Attribute("type", "submit"), Attribute("class", "secondary")], ["Filter"]),
        ])
        let body = table(["Recorded", "What", "Rule", "Subject", "Tier", "Told / by", "Outcome"], rows.map { r in
            [.text(r.at), .element("span", [Attribute("class", r.isAction ? "kind-action" : "kind-notice")], [.text(r.what)]),
             .text(r.rule), .text(r.subject), .text(r.tier), .text(r.who), .text(r.outcome)]
        })
        var page: [HTML] = [filters, body]
        if rows.isEmpty { page.append(.element("p", [Attribute("class", "muted")], ["Nothing recorded yet."])) }
        if let older { page.append(.element("p", [], [.element("a", [Attribute("href", older)], ["Older entries"])])) }
        return WebPage(title: "Audit log", body: page, navigation: navigation(formToken: formToken, who: who, current: "/ui/audit"))
    }
}
