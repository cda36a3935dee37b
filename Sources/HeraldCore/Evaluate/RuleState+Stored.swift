public import Foundation

extension RuleState {
    /// The stored form of a rule state: what `JSONEncoder` with `.sortedKeys` and
    /// `.millisecondsSince1970` dates writes, byte for byte, read back by `JSONDecoder`
    /// with the same date strategy.
    ///
    /// Written by `JSONBytesWriter` because it runs for every matched rule of every
    /// accepted event (each event moves `lastEventAt`), on the evaluation queue:
    /// `JSONEncoder` cost ≈ 5 µs a state there. Optionals are left out when nil, as the
    /// synthesized `Encodable` does.
    public func storedData() -> Data {
        var w = JSONBytesWriter(capacity: 256 + (lastEvent == nil ? 0 : 256) + 16 * told.count)
        w.beginObject()
        w.member("acknowledgedAt", ifPresentMilliseconds: acknowledgedAt)
        w.member("acknowledgedBy", ifPresent: acknowledgedBy)
        w.member("episode", episode)
        w.member("episodeStartedAt", ifPresentMilliseconds: episodeStartedAt)
        w.member("escalationDueAt", ifPresentMilliseconds: escalationDueAt)
        w.member("escalationStep", ifPresent: escalationStep)
        if let lastEvent {
            w.key("lastEvent")
            lastEvent.write(to: &w) { date, w in w.member("timestamp", ifPresentMilliseconds: date) }
        }
        w.member("lastEventAt", ifPresentMilliseconds: lastEventAt)
        w.member("lastNoticeAt", ifPresentMilliseconds: lastNoticeAt)
        w.member("notices", notices)
        w.key("notifiedTiers")
        w.beginArray()
        for tier in notifiedTiers { w.integer(tier) }
        w.endArray()
        w.member("tier", ifPresent: tier)
        w.member("tierEnteredAt", ifPresentMilliseconds: tierEnteredAt)
        w.member("tierSignature", tierSignature)
        w.key("told")
        w.beginArray()
        for user in told { w.string(user) }
        w.endArray()
        w.endObject()
        return w.data
    }
}

extension JSONBytesWriter {
    /// A date as `JSONEncoder.DateEncodingStrategy.millisecondsSince1970` writes it.
    mutating func member(_ key: String, ifPresentMilliseconds date: Date?) {
        guard let date else { return }
        member(key, 1000.0 * date.timeIntervalSince1970)
    }
}
