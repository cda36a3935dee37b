/// The `unrouted` fallback of a rule or of the server section.
extension ConfigDecoder {
    /// `{"notify": [selectors], "targets": [ids]?}` under `unrouted`, or nil when absent.
    mutating func decodeUnrouted(_ parent: inout ObjectReader, at path: JSONPath) -> UnroutedFallback? {
        guard var reader = parent.object("unrouted") else { return nil }
        let place = path.appending("unrouted")
        let notify = decodeSelectors(&reader, at: place, owner: "an 'unrouted' fallback")
        let targets = reader.strings("targets").filter { reference($1, kind: "target", known: targetIDs, at: $0) }.map(\.1)
        reader.finish()
        return UnroutedFallback(notify: notify, targets: targets)
    }
}
