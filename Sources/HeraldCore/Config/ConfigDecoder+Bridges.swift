/// The `bridges` section: how Alertmanager and Grafana alerts become events.
extension ConfigDecoder {
    func decodeBridges(_ reader: inout ObjectReader) -> BridgeSettings {
        var bridges = BridgeSettings()
        if var am = reader.object("alertmanager") {
            bridges.alertmanager.mapping = decodeMapping(&am)
            bridges.alertmanager.auth = decodeBridgeAuth(&am)
            am.finish()
        }
        if var grafana = reader.object("grafana") {
            bridges.grafana.mapping = decodeMapping(&grafana)
            bridges.grafana.auth = decodeBridgeAuth(&grafana)
            bridges.grafana.valueRef = nonEmpty(&grafana, "valueRef")
            if let ref = nonEmpty(&grafana, "conditionRef") { bridges.grafana.conditionRef = ref }
            if var hmac = grafana.object("hmac") { bridges.grafana.hmac = decodeHMAC(&hmac) }
            grafana.finish()
        }
        reader.finish()
        return bridges
    }

    /// The mapping members shared by both bridges; every one optional.
    private func decodeMapping(_ reader: inout ObjectReader) -> AlertMapping {
        var mapping = AlertMapping()
        if let field = alertField(&reader, "metric") { mapping.metric = field }
        if var subject = reader.object("subject") {
            mapping.subjectID = alertField(&subject, "id")
            mapping.subjectName = alertField(&subject, "name")
            mapping.subjectType = alertField(&subject, "type")
            subject.finish()
        }
        if let field = alertField(&reader, "value") { mapping.value = field }
        if let value = reader.number("firingValue") { mapping.firingValue = value }
        if let value = reader.number("resolvedValue") { mapping.resolvedValue = value }
        if var relations = reader.object("relations") {
            for name in relations.members.keys.sorted() {
                if let field = alertField(&relations, name) { mapping.relations[name] = field }
            }
            relations.finish()
        }
        return mapping
    }

    /// `{"label": "name"}` or `{"annotation": "name"}`, exactly one of them.
    private func alertField(_ reader: inout ObjectReader, _ key: String) -> AlertField? {
        guard var field = reader.object(key) else { return nil }
        let label = nonEmpty(&field, "label")
        let annotation = nonEmpty(&field, "annotation")
        field.finish()
        switch (label, annotation) {
        case (let name?, nil): return .label(name)
        case (nil, let name?): return .annotation(name)
        case (.some, .some):
            diagnostics.error("bad_value", field.path, "give either 'label' or 'annotation', not both")
        case (nil, nil):
            // A present but empty or mistyped member was reported where it is.
            if field.members["label"] == nil, field.members["annotation"] == nil {
                diagnostics.error("missing_key", field.path, "a field needs 'label' or 'annotation'")
            }
        }
        return nil
    }

    private func decodeBridgeAuth(_ reader: inout ObjectReader) -> BridgeAuth {
        var auth = BridgeAuth()
        guard var authReader = reader.object("auth") else { return auth }
        if let text = authReader.string("scope") {
            if let scope = TokenDefinition.Scope(rawValue: text) {
                auth.scope = scope
            } else {
                let names = TokenDefinition.Scope.allCases.map(\.rawValue)
                diagnostics.error("bad_value", authReader.path.appending("scope"),
                                  "unknown scope '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
            }
        }
        if var basic = authReader.object("basic") {
            let username = basic.string("username", required: true)
            if username?.contains(":") == true {
                // RFC 7617: the user-id cannot contain a colon, it separates the password.
                diagnostics.error("bad_value", basic.path.appending("username"), "'username' must not contain ':'")
            }
            var password: SecretSource?
            if let value = basic.raw("password") {
                password = decodeSecretSource(value, at: basic.path.appending("password"))
            } else {
                diagnostics.error("missing_key", basic.path.appending("password"), "missing required key 'password'")
            }
            basic.finish()
            if let username, let password { auth.basic = BridgeAuth.Basic(username: username, password: password) }
        }
        authReader.finish()
        return auth
    }

    private func decodeHMAC(_ reader: inout ObjectReader) -> GrafanaHMAC? {
        var secret: SecretSource?
        if let value = reader.raw("secret") {
            secret = decodeSecretSource(value, at: reader.path.appending("secret"))
        } else {
            diagnostics.error("missing_key", reader.path.appending("secret"), "missing required key 'secret'")
        }
        let header = nonEmpty(&reader, "header")
        let timestampHeader = nonEmpty(&reader, "timestampHeader")
        let tolerance = reader.duration("tolerance")
        if let tolerance, tolerance.seconds < 1 {
            diagnostics.error("out_of_range", reader.path.appending("tolerance"), "'tolerance' must be at least 1s")
        }
        if tolerance != nil, timestampHeader == nil {
            diagnostics.error("missing_key", reader.path.appending("timestampHeader"),
                              "'tolerance' needs 'timestampHeader': without a signed timestamp there is nothing to compare")
        }
        reader.finish()
        guard let secret else { return nil }
        return GrafanaHMAC(secret: secret, header: header, timestampHeader: timestampHeader,
                           tolerance: tolerance ?? GrafanaHMAC.defaultTolerance)
    }

    /// A string member that, when present, must not be empty.
    private func nonEmpty(_ reader: inout ObjectReader, _ key: String) -> String? {
        guard reader.has(key) else { return nil }
        return reader.string(key, required: true)
    }
}
