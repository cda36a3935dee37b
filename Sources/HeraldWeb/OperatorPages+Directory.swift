/// The directory lookup: find a person by id, name or e-mail, then see who they are —
/// roles, groups (and the membership path), rights, how Herald reaches them — and which
/// rules can reach them, with the resolver's own path or its reason for leaving them out.
extension OperatorPages {
    /// A person in the search results.
    public struct DirectoryMatch: Sendable {
        public var id: String
        public var name: String
        public var active: Bool
        public var roles: String
        public init(id: String, name: String, active: Bool, roles: String) {
            (self.id, self.name, self.active, self.roles) = (id, name, active, roles)
        }
    }

    /// One rule audience that names the person.
    public struct ReachRow: Sendable {
        public var rule: String
        public var stage: String
        /// The path that selects them, or why they are left out.
        public var how: String
        /// Whether the audience tells them; nil for a row that is not an audience (may act).
        public var told: Bool?
        public init(rule: String, stage: String, how: String, told: Bool?) {
            (self.rule, self.stage, self.how, self.told) = (rule, stage, how, told)
        }
    }

    /// Everything the page says about one person, already as text.
    public struct Person: Sendable {
        public var id: String
        public var name: String
        public var facts: [(String, String)]
        public var roles: [String]
        /// (group, how they are a member).
        public var groups: [(String, String)]
        public var rights: [String]
        /// (channel, address): e-mail, phone, a target's address, a chat handle.
        public var routes: [(String, String)]
        public var reach: [ReachRow]
        public init(id: String, name: String, facts: [(String, String)], roles: [String], groups: [(String, String)],
                    rights: [String], routes: [(String, String)], reach: [ReachRow]) {
            (self.id, self.name, self.facts, self.roles, self.groups) = (id, name, facts, roles, groups)
            (self.rights, self.routes, self.reach) = (rights, routes, reach)
        }
    }

    /// The search form, its results (`more`: the list was cut), and the chosen person.
    public static func directory(query: String, matches: [DirectoryMatch], more: Bool, person: Person?, formToken: String,
                                 who: String, notice: Notice?) -> WebPage {
        var body: [HTML] = [notice?.html ?? .empty]
        body.append(.element("form", [Attribute("method", "get"), Attribute("action", "/ui/directory"), Attribute("class", "filters"),
                                      Attribute("role", "search")], [
            field("q", "Find a person (id, name or e-mail)", query),
            .element("button", [Attribute("type", "submit"), Attribute("class", "secondary")], ["Find"]),
        ]))
        if !query.isEmpty {
            body.append(matches.isEmpty ? .element("p", [Attribute("class", "muted")], [.text("Nobody matches “\(query)”.")])
                                        : .element("ul", [Attribute("class", "matches")], matches.map(match)))
            if more { body.append(.element("p", [Attribute("class", "muted")], ["More people match: type more of the name."])) }
        }
        if let person { body += personSections(person) }
        return WebPage(title: person.map { "\($0.name) (\($0.id))" } ?? "Directory", body: body,
                       navigation: navigation(formToken: formToken, who: who, current: "/ui/directory"))
    }

    static func match(_ m: DirectoryMatch) -> HTML {
        .element("li", [], [
            .element("a", [Attribute("href", "/ui/directory?user=" + queryValue(m.id))], [.text("\(m.name) (\(m.id))")]),
            .text(" — " + (m.roles.isEmpty ? "no role" : m.roles) + (m.active ? "" : ", inactive")),
        ])
    }

    static func personSections(_ p: Person) -> [HTML] {
        let list = { (items: [String], empty: String) -> HTML in
            items.isEmpty ? .element("p", [Attribute("class", "muted")], [.text(empty)])
                          : .element("ul", [], items.map { .element("li", [], [.text($0)]) })
        }
        return [
            .element("dl", [Attribute("class", "facts")], p.facts.flatMap { [.element("dt", [], [.text($0.0)]), .element("dd", [], [.text($0.1)])] }),
            .element("h2", [], ["Roles"]), list(p.roles, "No roles."),
            .element("h2", [], ["Groups"]),
            p.groups.isEmpty ? .element("p", [Attribute("class", "muted")], ["In no group."]) : table(["Group", "Member through"], p.groups.map { [.text($0.0), .text($0.1)] }),
            .element("h2", [], ["Rights"]), list(p.rights, "No rights."),
            .element("h2", [], ["How Herald reaches them"]),
            p.routes.isEmpty ? .element("p", [Attribute("class", "muted")], ["No contact details: only batch targets, which send to a team's endpoint, carry their notices."])
                             : table(["Channel", "Address"], p.routes.map { [.text($0.0), .text($0.1)] }),
            .element("h2", [], ["Rules that can reach them"]),
            p.reach.isEmpty ? .element("p", [Attribute("class", "muted")], ["No rule's audience includes them."])
                            : table(["Rule", "When", "Told?", "Why"], p.reach.map { r in
                                [.text(r.rule), .text(r.stage), told(r.told), .text(r.how)]
                            }),
        ]
    }

    static func told(_ told: Bool?) -> HTML {
        guard let told else { return "—" }
        return .element("span", [Attribute("class", told ? "state resolved" : "state open")], [told ? "yes" : "no"])
    }

    /// `value` percent-encoded for a query string: only unreserved characters stay.
    public static func queryValue(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return out
    }
}

private extension String {
    /// Two hex digits.
    var leftPadded: String { count == 1 ? "0" + self : self }
}
