/// The acknowledge page a person reaches from the link in a notification: what is
/// going on, who was told, where it stands, and (while it can be taken on) one button
/// to acknowledge and one to resolve. Pure: a model in, HTML out.
public enum AckPage {
    /// Where the episode stands, as the page says it.
    public enum Standing: Sendable, Equatable {
        case open
        case acknowledged(by: String, at: String)
        case resolved
        /// A later episode of the same rule and subject has started.
        case ended
    }

    /// Everything the page shows, already as text.
    public struct Model: Sendable {
        public var ruleName: String
        public var subject: String
        public var tier: String?
        public var value: String?
        public var since: String?
        public var told: [String]
        public var standing: Standing
        /// The person the link was made for.
        public var person: String
        /// May this person resolve (and acknowledge) the episode?
        public var mayAct: Bool
        /// Where the form posts (`/ack/<token>`).
        public var action: String
        public var formToken: String

        public init(ruleName: String, subject: String, tier: String?, value: String?, since: String?, told: [String],
                    standing: Standing, person: String, mayAct: Bool, action: String, formToken: String) {
            self.ruleName = ruleName
            self.subject = subject
            self.tier = tier
            self.value = value
            self.since = since
            self.told = told
            self.standing = standing
            self.person = person
            self.mayAct = mayAct
            self.action = action
            self.formToken = formToken
        }
    }

    /// The page; `notice` is the outcome of the POST that led here, if any.
    public static func page(_ model: Model, notice: Notice? = nil) -> WebPage {
        var body: [HTML] = []
        if let notice { body.append(notice.html) }
        body.append(.element("dl", [Attribute("class", "facts")], facts(model)))
        body.append(actions(model))
        return WebPage(title: "\(model.ruleName): \(model.subject)", body: body)
    }

    static func facts(_ m: Model) -> [HTML] {
        var rows: [(String, HTML)] = [("State", standing(m.standing)), ("Rule", .text(m.ruleName)), ("Subject", .text(m.subject))]
        if let tier = m.tier { rows.append(("Tier", .text(tier))) }
        if let value = m.value { rows.append(("Last value", .text(value))) }
        if let since = m.since { rows.append(("Since", .text(since))) }
        rows.append(("Told", .text(m.told.isEmpty ? "nobody yet" : m.told.joined(separator: ", "))))
        rows.append(("You are", .text(m.person)))
        return rows.flatMap { [.element("dt", [], [.text($0.0)]), .element("dd", [], [$0.1])] }
    }

    static func standing(_ s: Standing) -> HTML {
        switch s {
        case .open: .element("span", [Attribute("class", "state open")], ["Open — nobody has acknowledged it"])
        case .acknowledged(let by, let at):
            .element("span", [Attribute("class", "state acknowledged")], [.text("Acknowledged by \(by) at \(at)")])
        case .resolved: .element("span", [Attribute("class", "state resolved")], ["Resolved"])
        case .ended: .element("span", [Attribute("class", "state resolved")], ["Over — a later episode has started"])
        }
    }

    static func actions(_ m: Model) -> HTML {
        guard m.mayAct else {
            return .element("p", [Attribute("class", "muted")], ["You may not act on this episode any more."])
        }
        var buttons: [HTML] = []
        if m.standing == .open {
            buttons.append(form(m, action: "acknowledge", label: "Acknowledge", style: nil))
        }
        switch m.standing {
        case .open, .acknowledged: buttons.append(form(m, action: "resolve", label: "Resolve", style: "secondary"))
        case .resolved, .ended: break
        }
        guard !buttons.isEmpty else {
            return .element("p", [Attribute("class", "muted")], ["Nothing is left to do here."])
        }
        return .element("div", [Attribute("class", "actions")], buttons)
    }

    static func form(_ m: Model, action: String, label: String, style: String?) -> HTML {
        .element("form", [Attribute("method", "post"), Attribute("action", m.action)], [
            .void("input", [Attribute("type", "hidden"), Attribute("name", FormToken.field), Attribute("value", m.formToken)]),
            .void("input", [Attribute("type", "hidden"), Attribute("name", "action"), Attribute("value", action)]),
            .element("button", [Attribute("type", "submit")] + (style.map { [Attribute("class", $0)] } ?? []), [.text(label)]),
        ])
    }

    /// 410: a genuine link past its time.
    public static func expired(at: String) -> WebPage {
        WebPage(title: "This link has expired", body: [
            .element("p", [], [.text("Acknowledge links work for 24 hours; this one expired at \(at).")]),
            .element("p", [], ["If the problem is still going on, use the link in the latest notification, or ask an operator to acknowledge it in Herald's web interface."]),
        ])
    }

    /// 403: not a link Herald made (mistyped, cut short by a mail client, or altered).
    public static func forged() -> WebPage {
        WebPage(title: "This link is not valid", body: [
            .element("p", [], ["Herald did not make this link, or it was changed or cut short on the way (some mail programs break long links)."]),
            .element("p", [], ["Open the link again from the notification itself, copying all of it; if that fails, ask an operator."]),
        ])
    }

    /// 403 after a POST whose form token does not match: the form was not Herald's, or
    /// Herald restarted since it was shown.
    public static func staleForm(reload: String) -> WebPage {
        WebPage(title: "Please try again", body: [
            .element("p", [], ["This form has expired (Herald may have restarted since the page was opened), so nothing was changed."]),
            .element("p", [], [.element("a", [Attribute("href", reload)], ["Open the page again"]), " and press the button once more."]),
        ])
    }
}

/// A one-line outcome at the top of a page.
public struct Notice: Sendable {
    public enum Kind: String, Sendable { case ok, warn, error }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// `role=status` so screen readers announce it after the redirect.
    public var html: HTML {
        .element("p", [Attribute("class", "notice \(kind.rawValue)"), Attribute("role", kind == .error ? "alert" : "status")],
                 [.text(message)])
    }
}
