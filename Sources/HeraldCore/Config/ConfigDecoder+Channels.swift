import Foundation

/// A target's format and its settings (`format`, the URL or its secret source, header
/// secrets, `rate`, the format's options) and a rule's `message` templates.
extension ConfigDecoder {
    /// `url` is a string, or `{"env"}`/`{"file"}` when the URL is itself the credential.
    func decodeTargetURL(_ reader: inout ObjectReader, at path: JSONPath) -> (String?, SecretSource?) {
        guard let value = reader.raw("url") else {
            diagnostics.error("missing_key", path.appending("url"), "missing required key 'url'")
            return (nil, nil)
        }
        if case .object = value { return ("", decodeSecretSource(value, at: path.appending("url"))) }
        guard let url = reader.string("url", required: true) else { return (nil, nil) }
        checkURL(url, at: path.appending("url"))
        return (url, nil)
    }

    func decodeFormat(_ reader: inout ObjectReader, at path: JSONPath) -> ChannelFormat {
        guard let text = reader.string("format") else { return .standard }
        guard let format = ChannelFormat(rawValue: text) else {
            let names = ChannelFormat.allCases.map(\.rawValue)
            diagnostics.error("bad_value", path.appending("format"),
                              "unknown format '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
            return .standard
        }
        return format
    }

    /// Header values are strings, or secret sources read at start-up.
    func decodeHeaders(_ reader: inout ObjectReader, at path: JSONPath) -> ([String: String], [String: SecretSource]) {
        guard let value = reader.raw("headers") else { return ([:], [:]) }
        guard case .object(let members) = value else {
            diagnostics.error("wrong_type", path.appending("headers"), "expected an object, found \(value.typeName)")
            return ([:], [:])
        }
        var plain: [String: String] = [:]
        var secret: [String: SecretSource] = [:]
        for (name, member) in members {
            let place = path.appending("headers").appending(name)
            switch member {
            case .string(let text): plain[name] = text
            case .object: if let source = decodeSecretSource(member, at: place) { secret[name] = source }
            default: diagnostics.error("wrong_type", place, "expected a string or a secret source, found \(member.typeName)")
            }
        }
        return (plain, secret)
    }

    func decodeRate(_ reader: inout ObjectReader, at path: JSONPath) -> DeliveryRate? {
        guard let text = reader.string("rate") else { return nil }
        guard let rate = DeliveryRate(parsing: text) else {
            diagnostics.error("bad_value", path.appending("rate"), "'\(text)' is not a rate; write requests per interval, like '1/s', '20/min' or '2/5s'")
            return nil
        }
        if rate.interval < 1 / DeliveryRate.maxPerSecond {
            diagnostics.error("out_of_range", path.appending("rate"), "'\(text)' is more than \(Int(DeliveryRate.maxPerSecond)) requests per second")
        }
        return rate
    }

    /// Which option keys belong to which formats; one given to another format is refused.
    static let optionFormats: [String: Set<ChannelFormat>] = [
        "routingKey": [.pagerduty], "severity": [.pagerduty], "source": [.pagerduty],
        "topic": [.ntfy], "priority": [.ntfy], "username": [.slack, .discord, .mattermost], "template": [.template],
    ]

    func decodeChannelOptions(_ reader: inout ObjectReader, at path: JSONPath, format: ChannelFormat) -> ChannelOptions {
        for key in Self.optionFormats.keys.sorted() where reader.members[key] != nil && !Self.optionFormats[key]!.contains(format) {
            let owners = Self.optionFormats[key]!.map(\.rawValue).sorted().joined(separator: ", ")
            diagnostics.error("bad_value", path.appending(key), "'\(key)' only applies to format \(owners), not '\(format.rawValue)'")
            _ = reader.raw(key)
        }
        var options = ChannelOptions()
        let batch = reader.members["mode"] == .string("batch")
        switch format {
        case .pagerduty:
            options.routingKey = reader.raw("routingKey").flatMap { decodeSecretSource($0, at: path.appending("routingKey")) }
            if options.routingKey == nil, batch {
                diagnostics.error("missing_key", path.appending("routingKey"), "a batch pagerduty target needs 'routingKey' (a secret source)")
            }
            options.severity = decodeSeverities(&reader, at: path)
            options.source = optionalText(&reader, "source")
        case .ntfy:
            options.topic = optionalText(&reader, "topic")
            if options.topic == nil, batch { diagnostics.error("missing_key", path.appending("topic"), "a batch ntfy target needs 'topic'") }
            options.priority = reader.integer("priority", in: 1...5)
        case .slack, .discord, .mattermost:
            options.username = optionalText(&reader, "username")
        case .template:
            if let value = reader.raw("template") {
                options.template = decodeBodyTemplate(value, at: path.appending("template"))
            } else {
                diagnostics.error("missing_key", path.appending("template"), "a template target needs 'template' (the JSON body)")
            }
        case .standard, .teams, .googleChat:
            break
        }
        return options
    }

    /// An optional string that must not be empty when given.
    func optionalText(_ reader: inout ObjectReader, _ key: String) -> String? {
        guard let text = reader.string(key) else { return nil }
        if text.isEmpty {
            diagnostics.error("empty_value", reader.path.appending(key), "'\(key)' must not be empty")
            return nil
        }
        return text
    }

    private func decodeSeverities(_ reader: inout ObjectReader, at path: JSONPath) -> [String: PagerDutySeverity] {
        var result: [String: PagerDutySeverity] = [:]
        for (tier, text) in reader.stringMap("severity") {
            guard let severity = PagerDutySeverity(rawValue: text) else {
                let names = PagerDutySeverity.allCases.map(\.rawValue)
                diagnostics.error("bad_value", path.appending("severity").appending(tier),
                                  "unknown severity '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
                continue
            }
            result[tier] = severity
        }
        return result
    }

    /// A JSON body whose strings are checked as templates, each error at its own path.
    func decodeBodyTemplate(_ value: JSONValue, at path: JSONPath) -> BodyTemplate {
        switch value {
        case .string(let text): return decodeTemplateText(text, at: path).map(BodyTemplate.text) ?? .literal(value)
        case .array(let items): return .array(items.enumerated().map { decodeBodyTemplate($1, at: path.appending($0)) })
        case .object(let members):
            return .object(Dictionary(uniqueKeysWithValues: members.map { ($0, decodeBodyTemplate($1, at: path.appending($0))) }))
        default: return .literal(value)
        }
    }

    /// Parses a template text; an unknown placeholder is an error at `path`.
    func decodeTemplateText(_ text: String, at path: JSONPath) -> TemplateText? {
        switch TemplateText.parse(text) {
        case .success(let template):
            return template
        case .failure(.unknown(let name)):
            let known = TemplateField.knownNames
            diagnostics.error("unknown_placeholder", path,
                              "unknown placeholder '{{\(name)}}'\(Suggestion.hint(for: name, in: known)); use one of \(known.joined(separator: ", "))")
        case .failure(.unclosed(let start)):
            diagnostics.error("bad_template", path, "placeholder '\(start)' is not closed with '}}'")
        }
        return nil
    }

    /// A rule's `message`: `{"title": "…", "text": "…"}`, both optional templates.
    func decodeMessageTemplate(_ reader: inout ObjectReader, at path: JSONPath) -> MessageTemplate? {
        guard var message = reader.object("message") else { return nil }
        let place = path.appending("message")
        let title = message.string("title").flatMap { decodeTemplateText($0, at: place.appending("title")) }
        let text = message.string("text").flatMap { decodeTemplateText($0, at: place.appending("text")) }
        message.finish()
        return title == nil && text == nil ? nil : MessageTemplate(title: title, text: text)
    }
}
