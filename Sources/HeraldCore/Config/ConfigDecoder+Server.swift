import Foundation

/// Webhook targets and the `server` section.
extension ConfigDecoder {
    mutating func decodeTarget(_ item: JSONValue, at path: JSONPath) -> TargetDefinition? {
        guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "target") else { return nil }
        let (url, urlSource) = decodeTargetURL(&reader, at: path)
        var mode = TargetDefinition.Mode.perRecipient
        if let text = reader.string("mode") {
            if let parsed = TargetDefinition.Mode(rawValue: text) {
                mode = parsed
            } else {
                let names = TargetDefinition.Mode.allCases.map(\.rawValue)
                diagnostics.error("bad_value", path.appending("mode"),
                                  "unknown mode '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
            }
        }
        let format = decodeFormat(&reader, at: path)
        let secrets = decodeSigningSecrets(&reader, at: path, format: format)
        let (headers, secretHeaders) = decodeHeaders(&reader, at: path)
        let channel = decodeChannelOptions(&reader, at: path, format: format)
        let schedule = reader.strings("retrySchedule").compactMap { [reader] itemPath, text in reader.parseDuration(text, at: itemPath) }
        let target = TargetDefinition(
            id: id, url: url ?? "", urlSource: urlSource, mode: mode, format: format, channel: channel,
            headers: headers, secretHeaders: secretHeaders, rate: decodeRate(&reader, at: path), secrets: secrets,
            timeout: reader.duration("timeout") ?? Duration(seconds: 10),
            connectTimeout: reader.duration("connectTimeout") ?? Duration(seconds: 3),
            maxAttempts: reader.integer("maxAttempts", in: 1...100) ?? 8,
            maxAge: reader.duration("maxAge") ?? Duration(seconds: 3 * 86_400),
            maxConcurrent: reader.integer("maxConcurrent", in: 1...1024) ?? 16,
            retrySchedule: schedule.isEmpty ? TargetDefinition.defaultRetrySchedule : schedule,
            maxBacklog: reader.integer("maxBacklog", in: TargetDefinition.maxBacklogRange) ?? TargetDefinition.defaultMaxBacklog)
        reader.finish()
        return url == nil && urlSource == nil ? nil : target
    }

    /// `secrets`: required for `standard` (its webhooks are always signed), optional
    /// for every other format, where they sign too (receivers that do not check
    /// signatures ignore the headers) and key the acknowledgement links.
    private func decodeSigningSecrets(_ reader: inout ObjectReader, at path: JSONPath, format: ChannelFormat) -> [SecretSource] {
        let secrets = (reader.array("secrets", required: format.requiresSecrets) ?? []).compactMap { decodeSecretSource($1, at: $0) }
        if reader.members["secrets"] != nil, secrets.isEmpty {
            diagnostics.error("empty_value", path.appending("secrets"), "a target needs a signing secret: webhooks are always signed")
        }
        if secrets.count > 2 {
            diagnostics.error("out_of_range", path.appending("secrets"), "at most two signing secrets (the current and the next while rotating)")
        }
        return secrets
    }

    /// Webhooks go to http(s) URLs with a host; anything else is a typo or a risk.
    func checkURL(_ text: String, at path: JSONPath) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            diagnostics.error("bad_url", path, "'\(text)' is not an http or https URL")
            return
        }
    }

    /// `server.publicURL`: an http(s) URL with a host and no query or fragment (links are
    /// made by appending `/ack/<token>`); returned without its trailing `/`.
    func checkPublicURL(_ text: String, at path: JSONPath) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil else {
            diagnostics.error("bad_url", path, "'\(text)' is not an http or https URL without query or fragment")
            return nil
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// `{"env": "NAME"}` or `{"file": "/path"}`: secrets are never written inline.
    func decodeSecretSource(_ item: JSONValue, at path: JSONPath) -> SecretSource? {
        guard var reader = ObjectReader(item, at: path, diagnostics) else { return nil }
        let env = reader.string("env")
        let file = reader.string("file")
        reader.finish()
        switch (env, file) {
        case (let name?, nil): return .environment(name)
        case (nil, let path?): return .file(path)
        case (let name?, let path?): return .environmentOrFile(name, path)
        default:
            diagnostics.error("bad_secret", path, "a secret source needs 'env', 'file' or both (the variable wins when set)")
            return nil
        }
    }

    mutating func decodeServer(_ reader: inout ObjectReader) -> ServerSettings {
        var server = ServerSettings()
        if let listen = reader.string("listen") { server.listen = listen }
        if let url = reader.string("publicURL") { server.publicURL = checkPublicURL(url, at: reader.path.appending("publicURL")) }
        if let v = reader.integer("maxConnections", in: 1...100_000) { server.maxConnections = v }
        if let v = reader.integer("connectionMemoryLimit", in: 4096...(64 << 20)) { server.connectionMemoryLimit = v }
        if let v = reader.duration("connectionTimeout") { server.connectionTimeout = v }
        if let v = reader.integer("maxBodyBytes", in: 1024...(256 << 20)) { server.maxBodyBytes = v }
        if let v = reader.integer("maxBatchEvents", in: 1...100_000) { server.maxBatchEvents = v }
        if let v = reader.integer("queueDepth", in: 1...10_000_000) { server.queueDepth = v }
        if let v = reader.duration("idempotencyWindow") { server.idempotencyWindow = v }
        if let v = reader.integer("maxRememberedEventIds", in: ServerSettings.rememberedEventIdsRange) { server.maxRememberedEventIds = v }
        let tokens = reader.array("tokens") ?? []
        _ = collectTokenIDs(tokens)
        server.tokens = tokens.compactMap { decodeToken($1, at: $0) }
        server.unrouted = decodeUnrouted(&reader, at: reader.path)
        server.tls = decodeTLS(&reader)
        if let text = reader.string("unknownMetrics") {
            if let mode = ServerSettings.UnknownMetrics(rawValue: text) {
                server.unknownMetrics = mode
            } else {
                let names = ServerSettings.UnknownMetrics.allCases.map(\.rawValue)
                diagnostics.error("bad_value", reader.path.appending("unknownMetrics"),
                                  "unknown value '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
            }
        }
        if server.queueDepth < server.maxBatchEvents {
            // Admission counts events: a full-size batch could never fit and would get 429 forever.
            diagnostics.error("out_of_range", reader.path.appending("queueDepth"),
                              "'queueDepth' (\(server.queueDepth)) must be at least 'maxBatchEvents' (\(server.maxBatchEvents)), or a full batch could never be queued")
        }
        reader.finish()
        return server
    }

    /// `tls`: `{"certificate": <secret source>, "key": <secret source>}`, both required.
    /// Only the shape is checked here; the files are read (and GnuTLS asked) by the daemon.
    private func decodeTLS(_ parent: inout ObjectReader) -> TLSSettings? {
        guard var reader = parent.object("tls") else { return nil }
        var sources: [SecretSource] = []
        for key in ["certificate", "key"] {
            guard let value = reader.raw(key) else {
                diagnostics.error("missing_key", reader.path.appending(key), "missing required key '\(key)': TLS needs a PEM certificate and its private key")
                continue
            }
            if let source = decodeSecretSource(value, at: reader.path.appending(key)) { sources.append(source) }
        }
        reader.finish()
        return sources.count == 2 ? TLSSettings(certificate: sources[0], key: sources[1]) : nil
    }

    private func collectTokenIDs(_ items: [(JSONPath, JSONValue)]) -> Set<String> {
        var seen: Set<String> = []
        for (path, item) in items {
            guard case .object(let m) = item, case .string(let id)? = m["id"] else { continue }
            if !seen.insert(id).inserted { diagnostics.error("duplicate_id", path.appending("id"), "duplicate token id '\(id)'") }
        }
        return seen
    }

    private func decodeToken(_ item: JSONValue, at path: JSONPath) -> TokenDefinition? {
        guard var reader = ObjectReader(item, at: path, diagnostics), let id = elementID(&reader, kind: "token") else { return nil }
        let hash = reader.string("sha256")?.lowercased()
        if let hash, hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
            diagnostics.error("bad_value", path.appending("sha256"), "'sha256' must be 64 hex digits (the SHA-256 of the token)")
        }
        var source: SecretSource?
        switch (reader.string("env"), reader.string("file")) {
        case (let name?, nil): source = .environment(name)
        case (nil, let file?): source = .file(file)
        case (let name?, let file?): source = .environmentOrFile(name, file)
        default: source = nil
        }
        if (hash == nil) == (source == nil) {
            diagnostics.error("bad_secret", path, "a token needs either 'sha256', or 'env' and/or 'file'")
        }
        let scopes = reader.strings("scopes").compactMap { scopePath, text -> TokenDefinition.Scope? in
            guard let scope = TokenDefinition.Scope(rawValue: text) else {
                let names = TokenDefinition.Scope.allCases.map(\.rawValue)
                diagnostics.error("bad_value", scopePath, "unknown scope '\(text)'\(Suggestion.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))")
                return nil
            }
            return scope
        }
        if scopes.isEmpty { diagnostics.error("empty_value", path.appending("scopes"), "a token needs at least one scope") }
        reader.finish()
        return TokenDefinition(id: id, sha256: hash, source: source, scopes: scopes)
    }
}
