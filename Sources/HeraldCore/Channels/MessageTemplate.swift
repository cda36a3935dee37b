import Foundation

/// A short text with `{{placeholder}}` fields, filled from a notice: substitution only,
/// no logic, so a template can be checked completely when the config is read.
///
/// The filled values are escaped for the target's syntax by the renderer (a JSON
/// string, Slack mrkdwn, Markdown, HTML), never by the template's author.
public struct TemplateText: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        case literal(String)
        case field(TemplateField)
    }

    public let pieces: [Piece]
    /// The text as written in the config.
    public let source: String

    /// Fills every field from `notice`; `escape` is applied to the filled values only.
    public func render(_ notice: ChannelNotice, escape: (String) -> String = { $0 }) -> String {
        pieces.map { piece in
            switch piece {
            case .literal(let text): text
            case .field(let field): escape(field.value(in: notice))
            }
        }.joined()
    }

    /// Parses `text`; the error names the first unknown or unclosed placeholder.
    public static func parse(_ text: String) -> Result<TemplateText, TemplateError> {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return .failure(.unclosed(String(rest[open.lowerBound...].prefix(40))))
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let field = TemplateField(name: name) else { return .failure(.unknown(name)) }
            pieces.append(.field(field))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        return .success(TemplateText(pieces: pieces, source: text))
    }
}

/// Why a template text was refused.
public enum TemplateError: Error, Sendable, Equatable {
    case unknown(String)
    case unclosed(String)
}

/// The fields a template may use: `{{rule.name}}`, `{{event.labels.site}}`, …
public enum TemplateField: Sendable, Equatable {
    case ruleID, ruleName, tierName, tierThreshold, tierIndex, tierPrevious, transition, reason, actor
    case eventValue, eventMetric, eventTimestamp, subjectID, subjectName, subjectType
    case episodeID, episodeNumber, noticeID, occurredAt, recipientsNames, recipientsCount, ackURL
    case headline, summary
    case label(String)
    case relation(String)

    /// Fixed names, in the order the documentation lists them.
    public static let names: [(String, TemplateField)] = [
        ("rule.id", .ruleID), ("rule.name", .ruleName), ("tier.name", .tierName), ("tier.threshold", .tierThreshold),
        ("tier.index", .tierIndex), ("tier.previous", .tierPrevious), ("transition", .transition), ("reason", .reason), ("actor", .actor),
        ("event.value", .eventValue), ("event.metric", .eventMetric), ("event.timestamp", .eventTimestamp),
        ("subject.id", .subjectID), ("subject.name", .subjectName), ("subject.type", .subjectType),
        ("episode.id", .episodeID), ("episode.number", .episodeNumber), ("notice.id", .noticeID),
        ("occurredAt", .occurredAt), ("recipients.names", .recipientsNames), ("recipients.count", .recipientsCount),
        ("ack.url", .ackURL), ("headline", .headline), ("summary", .summary),
    ]
    static let labelPrefix = "event.labels."
    static let relationPrefix = "event.relations."

    /// Every name `check` accepts, for "did you mean" hints (prefixed ones end in `<name>`).
    public static var knownNames: [String] { names.map(\.0) + [labelPrefix + "<name>", relationPrefix + "<name>"] }

    init?(name: String) {
        if let fixed = Self.names.first(where: { $0.0 == name }) {
            self = fixed.1
        } else if name.hasPrefix(Self.labelPrefix), name.count > Self.labelPrefix.count {
            self = .label(String(name.dropFirst(Self.labelPrefix.count)))
        } else if name.hasPrefix(Self.relationPrefix), name.count > Self.relationPrefix.count {
            self = .relation(String(name.dropFirst(Self.relationPrefix.count)))
        } else {
            return nil
        }
    }

    /// The field's text for `n`; empty when the notice has none (no actor, no ack link,
    /// no previous tier).
    func value(in n: ChannelNotice) -> String {
        switch self {
        case .ruleID: n.ruleID
        case .ruleName: n.ruleName
        case .tierName: n.tier.name
        case .tierThreshold: JSONNumber.format(n.tier.threshold)
        case .tierIndex: String(n.tier.index)
        case .tierPrevious: n.previousTier?.name ?? ""
        case .transition: n.transition.rawValue
        case .reason: n.reason ?? ""
        case .actor: n.actor ?? ""
        case .eventValue: JSONNumber.format(n.value)
        case .eventMetric: n.metric
        case .eventTimestamp: n.eventTimestamp ?? ""
        case .subjectID: n.subject.id
        case .subjectName: n.subject.name ?? n.subject.id
        case .subjectType: n.subject.type ?? ""
        case .episodeID: n.episodeID
        case .episodeNumber: String(n.episodeNumber)
        case .noticeID: n.id
        case .occurredAt: n.occurredAt
        case .recipientsNames: n.recipients.map(\.name).joined(separator: ", ")
        case .recipientsCount: String(n.recipients.count)
        case .ackURL: n.ackURL ?? ""
        case .headline: ChannelMessage.headline(n)
        case .summary: ChannelMessage.summary(n)
        case .label(let name): n.labels[name] ?? ""
        case .relation(let name): n.relations[name] ?? ""
        }
    }
}

/// A rule's own title and text for human-readable formats (`message` in the config).
public struct MessageTemplate: Sendable, Equatable {
    public let title: TemplateText?
    public let text: TemplateText?

    public init(title: TemplateText?, text: TemplateText?) {
        self.title = title
        self.text = text
    }
}
