public import Foundation

/// The form a rule state is kept in between uses (`RuleStates`): a few hundred bytes in
/// one buffer instead of a struct of ≈ 330 bytes with a dozen heap objects of its own (its
/// lists, its last event's strings and maps). Memory only, never stored: the store keeps
/// `storedData()`, whose format other processes read.
///
/// Exact: integers as zigzag LEB128, dates and numbers as their 8-byte bit patterns,
/// strings as a length and their UTF-8 bytes; optionals are flagged in a leading bit set.
/// So `RuleState(packed: state.packed()) == state` for every state (the tests check),
/// which the JSON form cannot promise (it keeps milliseconds).
extension RuleState {
    /// Which optional members a packed state carries, in the order they follow.
    private enum Present: Int, CaseIterable {
        case tier, episodeStartedAt, lastEventAt, lastNoticeAt, acknowledgedBy, acknowledgedAt, tierEnteredAt
        case escalationStep, escalationDueAt, lastEvent
    }

    /// The packed bytes (the revision is left out: `RuleStates` keeps it beside them).
    func packed() -> [UInt8] {
        var w = PackedWriter(capacity: 96 + (lastEvent == nil ? 0 : 128) + 12 * told.count)
        var flags = 0
        func flag(_ member: Present, _ present: Bool) { if present { flags |= 1 << member.rawValue } }
        flag(.tier, tier != nil); flag(.episodeStartedAt, episodeStartedAt != nil); flag(.lastEventAt, lastEventAt != nil)
        flag(.lastNoticeAt, lastNoticeAt != nil); flag(.acknowledgedBy, acknowledgedBy != nil)
        flag(.acknowledgedAt, acknowledgedAt != nil); flag(.tierEnteredAt, tierEnteredAt != nil)
        flag(.escalationStep, escalationStep != nil); flag(.escalationDueAt, escalationDueAt != nil); flag(.lastEvent, lastEvent != nil)
        w.integer(flags)
        w.integer(episode)
        w.integer(notices)
        w.integer(notifiedTiers.count)
        for index in notifiedTiers { w.integer(index) }
        w.integer(told.count)
        for user in told { w.string(user) }
        w.string(tierSignature)
        if let tier { w.integer(tier) }
        for date in [episodeStartedAt, lastEventAt, lastNoticeAt] { if let date { w.date(date) } }
        if let acknowledgedBy { w.string(acknowledgedBy) }
        for date in [acknowledgedAt, tierEnteredAt] { if let date { w.date(date) } }
        if let escalationStep { w.integer(escalationStep) }
        if let escalationDueAt { w.date(escalationDueAt) }
        if let lastEvent { lastEvent.pack(into: &w) }
        return w.exactBytes
    }

    /// Reads `packed()`'s bytes (revision 0); nil when they are not such bytes.
    init?(packed bytes: [UInt8]) {
        var r = PackedReader(bytes)
        guard let flags = r.integer(), let episode = r.integer(), let notices = r.integer(), let tierCount = r.count() else { return nil }
        func has(_ member: Present) -> Bool { flags & (1 << member.rawValue) != 0 }
        var notified: [Int] = []
        notified.reserveCapacity(tierCount)
        for _ in 0..<tierCount { guard let index = r.integer() else { return nil }; notified.append(index) }
        guard let toldCount = r.count() else { return nil }
        var told: [String] = []
        told.reserveCapacity(toldCount)
        for _ in 0..<toldCount { guard let user = r.string() else { return nil }; told.append(user) }
        guard let signature = r.string() else { return nil }
        self.init(tierSignature: signature)
        self.episode = episode
        self.notices = notices
        notifiedTiers = notified
        self.told = told
        guard PackedReader.read(has(.tier), { r.integer() }, into: &tier),
              PackedReader.read(has(.episodeStartedAt), { r.date() }, into: &episodeStartedAt),
              PackedReader.read(has(.lastEventAt), { r.date() }, into: &lastEventAt),
              PackedReader.read(has(.lastNoticeAt), { r.date() }, into: &lastNoticeAt),
              PackedReader.read(has(.acknowledgedBy), { r.string() }, into: &acknowledgedBy),
              PackedReader.read(has(.acknowledgedAt), { r.date() }, into: &acknowledgedAt),
              PackedReader.read(has(.tierEnteredAt), { r.date() }, into: &tierEnteredAt),
              PackedReader.read(has(.escalationStep), { r.integer() }, into: &escalationStep),
              PackedReader.read(has(.escalationDueAt), { r.date() }, into: &escalationDueAt),
              PackedReader.read(has(.lastEvent), { MetricEvent(unpacking: &r) }, into: &lastEvent),
              r.isAtEnd else { return nil }
    }
}

extension MetricEvent {
    private enum Present: Int {
        case id, timestamp, type, name
    }

    func pack(into w: inout PackedWriter) {
        var flags = 0
        if id != nil { flags |= 1 << Present.id.rawValue }
        if timestamp != nil { flags |= 1 << Present.timestamp.rawValue }
        if subject.type != nil { flags |= 1 << Present.type.rawValue }
        if subject.name != nil { flags |= 1 << Present.name.rawValue }
        w.integer(flags)
        w.string(metric)
        w.double(value)
        w.string(subject.id)
        for text in [id, subject.type, subject.name] { if let text { w.string(text) } }
        if let timestamp { w.date(timestamp) }
        for map in [relations, labels] {
            w.integer(map.count)
            for (key, value) in map { w.string(key); w.string(value) }
        }
    }

    init?(unpacking r: inout PackedReader) {
        guard let flags = r.integer(), let metric = r.string(), let value = r.double(), let subjectID = r.string() else { return nil }
        func has(_ member: Present) -> Bool { flags & (1 << member.rawValue) != 0 }
        var id: String?, type: String?, name: String?, timestamp: Date?
        guard PackedReader.read(has(.id), { r.string() }, into: &id), PackedReader.read(has(.type), { r.string() }, into: &type),
              PackedReader.read(has(.name), { r.string() }, into: &name), PackedReader.read(has(.timestamp), { r.date() }, into: &timestamp),
              let relations = r.map(), let labels = r.map() else { return nil }
        self.init(id: id, metric: metric, value: value, subject: Subject(id: subjectID, type: type, name: name),
                  timestamp: timestamp, relations: relations, labels: labels)
    }
}

/// Appends the packed form's parts (see `RuleState.packed()`).
struct PackedWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// The bytes in a buffer of their own size: a state is kept for a long time, and the
    /// room reserved for writing it would be held with it (≈ 20 % of 100,000 states).
    var exactBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
    }

    /// Zigzag LEB128: small numbers of either sign take one byte.
    mutating func integer(_ value: Int) { LEB128.appendSigned(value, to: &bytes) }

    mutating func double(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func date(_ date: Date) { double(date.timeIntervalSinceReferenceDate) }

    mutating func string(_ text: String) {
        integer(text.utf8.count)
        bytes.append(contentsOf: text.utf8)
    }
}

/// Reads the packed form's parts; every read is nil past the end or on a bad value.
struct PackedReader {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { at == bytes.count }

    mutating func integer() -> Int? { LEB128.readSigned(bytes, at: &at) }

    /// A non-negative count no larger than the bytes left (each item takes at least one).
    mutating func count() -> Int? {
        guard let n = integer(), n >= 0, n <= bytes.count - at else { return nil }
        return n
    }

    mutating func double() -> Double? {
        guard bytes.count - at >= 8 else { return nil }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        at += 8
        return Double(bitPattern: bits)
    }

    mutating func date() -> Date? { double().map { Date(timeIntervalSinceReferenceDate: $0) } }

    mutating func string() -> String? {
        guard let length = count() else { return nil }
        defer { at += length }
        return String(decoding: bytes[at..<at + length], as: UTF8.self)
    }

    mutating func map() -> [String: String]? {
        guard let n = count() else { return nil }
        var map: [String: String] = [:]
        map.reserveCapacity(n)
        for _ in 0..<n {
            guard let key = string(), let value = string() else { return nil }
            map[key] = value
        }
        return map
    }

    /// Reads a member when `present` says it is there; false when it is there but unreadable.
    static func read<T>(_ present: Bool, _ read: () -> T?, into target: inout T?) -> Bool {
        guard present else { return true }
        guard let value = read() else { return false }
        target = value
        return true
    }
}
