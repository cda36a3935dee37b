public import Foundation

extension RuleState {
    /// Reads the stored form (`storedData()`) with the core's one-pass parser instead of
    /// `JSONDecoder`; nil when the JSON is not a state this reader knows, and the caller
    /// falls back to `JSONDecoder` (which also reads older shapes).
    ///
    /// Why: a restart loads every stored state before it is ready. `JSONDecoder` took
    /// ≈ 30–40 µs a state here, ≈ 3–4 s for 100,000 subjects (issue #22 asks ≤ 1 s).
    public init?(storedJSON data: Data) {
        guard case .object(let o)? = try? JSONValue.parse(data), case .string(let signature)? = o["tierSignature"],
              let episode = Self.int(o["episode"]), let notices = Self.int(o["notices"]),
              case .array(let tiers)? = o["notifiedTiers"], case .array(let told)? = o["told"] else { return nil }
        self.init(tierSignature: signature)
        self.episode = episode
        self.notices = notices
        var notified: [Int] = []
        for tier in tiers { guard let index = Self.int(tier) else { return nil }; notified.append(index) }
        notifiedTiers = notified
        var people: [String] = []
        for person in told { guard case .string(let id) = person else { return nil }; people.append(id) }
        self.told = people
        guard Self.optional(o["tier"], Self.int, into: &tier), Self.optional(o["escalationStep"], Self.int, into: &escalationStep),
              Self.optional(o["acknowledgedBy"], Self.string, into: &acknowledgedBy),
              Self.optional(o["episodeStartedAt"], Self.date, into: &episodeStartedAt),
              Self.optional(o["lastEventAt"], Self.date, into: &lastEventAt),
              Self.optional(o["lastNoticeAt"], Self.date, into: &lastNoticeAt),
              Self.optional(o["acknowledgedAt"], Self.date, into: &acknowledgedAt),
              Self.optional(o["tierEnteredAt"], Self.date, into: &tierEnteredAt),
              Self.optional(o["escalationDueAt"], Self.date, into: &escalationDueAt),
              Self.optional(o["lastEvent"], MetricEvent.init(stored:), into: &lastEvent) else { return nil }
        let known: Set<String> = ["tierSignature", "episode", "notices", "notifiedTiers", "told", "tier", "escalationStep",
                                  "acknowledgedBy", "episodeStartedAt", "lastEventAt", "lastNoticeAt", "acknowledgedAt",
                                  "tierEnteredAt", "escalationDueAt", "lastEvent"]
        guard o.keys.allSatisfy(known.contains) else { return nil }   // a newer shape: let JSONDecoder judge
    }

    /// Sets `target` from `value` when present; false when present but unreadable.
    private static func optional<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?, into target: inout T?) -> Bool {
        guard let value, value != .null else { return true }
        guard let read = read(value) else { return false }
        target = read
        return true
    }

    static func int(_ value: JSONValue?) -> Int? {
        guard case .number(let n)? = value, n.rounded(.towardZero) == n, abs(n) < 1e15 else { return nil }
        return Int(n)
    }

    static func string(_ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        return nil
    }

    /// Milliseconds since 1970, as `JSONDecoder`'s `.millisecondsSince1970` reads them.
    static func date(_ value: JSONValue) -> Date? {
        guard case .number(let ms) = value else { return nil }
        return Date(timeIntervalSince1970: ms / 1000)
    }
}

extension MetricEvent {
    /// The event as `RuleState.storedData()` writes it (timestamp in milliseconds).
    init?(stored value: JSONValue) {
        guard case .object(let o) = value, case .string(let metric)? = o["metric"], case .number(let number)? = o["value"],
              case .object(let s)? = o["subject"], case .string(let subjectID)? = s["id"],
              let relations = Self.map(o["relations"]), let labels = Self.map(o["labels"]) else { return nil }
        var id: String?, timestamp: Date?, type: String?, name: String?
        guard RuleState.optionalValue(o["id"], RuleState.string, &id), RuleState.optionalValue(o["timestamp"], RuleState.date, &timestamp),
              RuleState.optionalValue(s["type"], RuleState.string, &type), RuleState.optionalValue(s["name"], RuleState.string, &name)
        else { return nil }
        self.init(id: id, metric: metric, value: number, subject: Subject(id: subjectID, type: type, name: name),
                  timestamp: timestamp, relations: relations, labels: labels)
    }

    private static func map(_ value: JSONValue?) -> [String: String]? {
        guard case .object(let members)? = value else { return nil }
        var map: [String: String] = [:]
        for (key, item) in members { guard case .string(let text) = item else { return nil }; map[key] = text }
        return map
    }
}

extension RuleState {
    /// `optional(_:_:into:)` for callers outside `RuleState`'s own stored properties.
    static func optionalValue<T>(_ value: JSONValue?, _ read: (JSONValue) -> T?, _ target: inout T?) -> Bool {
        optional(value, read, into: &target)
    }
}
