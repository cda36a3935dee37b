/// The dead letters page: webhooks that gave up, and (for admins) a button that puts one
/// back in the outbox with the same webhook id.
extension OperatorPages {
    /// One dead letter row.
    public struct DeadLetterRow: Sendable {
        public var id: String
        public var target: String
        public var notice: String
        public var attempts: String
        public var error: String
        public var deadAt: String
        public init(id: String, target: String, notice: String, attempts: String, error: String, deadAt: String) {
            (self.id, self.target, self.notice, self.attempts, self.error, self.deadAt) = (id, target, notice, attempts, error, deadAt)
        }
    }

    /// Webhooks that gave up, newest first, each with a Retry button for admins.
    public static func deadLetters(_ rows: [DeadLetterRow], formToken: String, may: OperatorPages.Permissions, who: String, notice: Notice?) -> WebPage {
        let header = ["Target", "Notice", "Attempts", "Last error", "Given up at", "Webhook id"] + (may.admin ? ["Actions"] : [])
        let body = rows.map { r -> HTML in
            var cells: [HTML] = [r.target, r.notice, r.attempts, r.error, r.deadAt, r.id].map { .element("td", [], [.text($0)]) }
            if may.admin {
                cells.append(.element("td", [], [.element("form", [Attribute("method", "post"), Attribute("action", "/ui/dead-letters/retry")], [
                    hidden(FormToken.field, formToken), hidden("id", r.id),
                    .element("button", [Attribute("type", "submit")], ["Retry"]),
                ])]))
            }
            return .element("tr", [], cells)
        }
        let table = HTML.element("div", [Attribute("class", "scroll")], [.element("table", [], [
            .element("thead", [], [.element("tr", [], header.map { .element("th", [Attribute("scope", "col")], [.text($0)]) })]),
            .element("tbody", [], body),
        ])])
        let empty: HTML = rows.isEmpty ? .element("p", [Attribute("class", "muted")], ["No dead letters: every webhook was delivered or is still being tried."]) : .empty
        return WebPage(title: "Dead letters", body: [notice?.html ?? .empty, table, empty],
                       navigation: navigation(formToken: formToken, who: who, current: "/ui/dead-letters"))
    }
}
