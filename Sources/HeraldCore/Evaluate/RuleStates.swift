public import Foundation

/// The tier states of every (rule, subject), held compactly: each state is kept as bytes
/// and decoded when an event, timer, action or explanation reads it (issue #22).
///
/// Why: 100,000 subjects with an open episode held as `RuleState` structs took ≈ 1.3 KB
/// each (the struct in the table, its lists, its last event's strings and maps); as
/// bytes a state takes ≈ 250. And a restart need not parse every stored state before it
/// is ready: a state read from the store is kept as its stored JSON (`insertStored`) and
/// decoded on first use, or by `settle`, which the daemon runs in slices once it is ready.
///
/// What scans need is kept beside the bytes, so no scan decodes: the revision (issue
/// #20), the escalation timer (the store copies it into the row as `due_at_ms`, so even
/// a state never decoded has its timer), and, for a decoded state, whether it is idle.
/// Reading through the subscript decodes; writing through it packs (`RuleState.packed`).
public struct RuleStates: Sendable, Sequence {
    /// One state: its bytes and what scans need without decoding them.
    struct Slot: Sendable {
        enum Form: Sendable {
            /// `RuleState.packed()`: exact, decoded without parsing.
            case packed([UInt8])
            /// The store's JSON (`RuleState.storedData()`), not decoded since it was read:
            /// the row's own bytes, not copied (a copy doubled a restart's peak).
            case stored(Data)
        }

        var form: Form
        var revision: Int64
        var escalationDueAt: Date?
        /// A decoded state with no tier and no timer: its last event's time
        /// (`distantPast` when none). Nil when it has a tier or a timer, or is not decoded.
        var idleSince: Date?

        init(_ state: RuleState) {
            form = .packed(state.packed())
            revision = state.revision
            escalationDueAt = state.escalationDueAt
            idleSince = state.idleSince
        }

        init(stored json: Data, revision: Int64, escalationDueAt: Date?) {
            form = .stored(json)
            self.revision = revision
            self.escalationDueAt = escalationDueAt
        }

        /// The state (with its revision); nil when the bytes are unreadable.
        var decoded: RuleState? {
            var state: RuleState?
            switch form {
            case .packed(let bytes): state = RuleState(packed: bytes)
            case .stored(let json): state = RuleState.decodeStored(json)
            }
            state?.revision = revision
            return state
        }

        var isStored: Bool {
            if case .stored = form { return true }
            return false
        }
    }

    private var slots: [RuleStateKey: Slot] = [:]

    public init() {}

    public init(_ states: [RuleStateKey: RuleState]) {
        slots.reserveCapacity(states.count)
        for (key, state) in states { slots[key] = Slot(state) }
    }

    /// Room for `count` states without growing (a restart knows how many it loads).
    public mutating func reserveCapacity(_ count: Int) { slots.reserveCapacity(count) }

    public var count: Int { slots.count }
    public var isEmpty: Bool { slots.isEmpty }
    /// The keys, in no particular order.
    public var keys: [RuleStateKey] { Array(slots.keys) }
    /// Every state, decoded, in no particular order.
    public var values: [RuleState] { map(\.value) }
    public func contains(_ key: RuleStateKey) -> Bool { slots[key] != nil }

    /// The state of `key`, decoded; setting packs it. A stored state whose bytes cannot
    /// be read reads as a new state (no tier, no episode) at its row's revision, so the
    /// next write replaces the row; `settle` reports such states.
    public subscript(key: RuleStateKey) -> RuleState? {
        get { slots[key].map(Self.state) }
        set { slots[key] = newValue.map(Slot.init) }
    }

    /// Keeps a state read from the store as its stored JSON, decoded on first use.
    /// `escalationDueAt` is the row's copy of its timer (`due_at_ms`).
    public mutating func insertStored(_ json: Data, revision: Int64, escalationDueAt: Date?, for key: RuleStateKey) {
        slots[key] = Slot(stored: json, revision: revision, escalationDueAt: escalationDueAt)
    }

    /// The revision of `key`'s state (nil: no state), without decoding it.
    public func revision(of key: RuleStateKey) -> Int64? { slots[key]?.revision }

    /// Sets the revision of `key`'s state without decoding it (no-op without a state).
    public mutating func setRevision(_ revision: Int64, of key: RuleStateKey) { slots[key]?.revision = revision }

    /// When `key`'s next escalation step falls due, without decoding it.
    public func escalationDue(of key: RuleStateKey) -> Date? { slots[key]?.escalationDueAt }

    /// The earliest pending escalation timer (nil when no timer runs).
    public var nextEscalationDue: Date? {
        var earliest: Date?
        for slot in slots.values {
            if let due = slot.escalationDueAt, earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    /// The keys whose escalation timer is due at `now`, sorted.
    public func keys(dueAt now: Date) -> [RuleStateKey] {
        slots.compactMap { key, slot in slot.escalationDueAt.map { $0 <= now ? key : nil } ?? nil }.sorted()
    }

    /// Removes the states with no tier and no timer whose last event came before `cutoff`;
    /// returns their keys, sorted. Only states never decoded since they were read are
    /// decoded for this (`settle` leaves none after a restart).
    public mutating func removeIdle(lastEventBefore cutoff: Date) -> [RuleStateKey] {
        let idle = slots.compactMap { key, slot -> RuleStateKey? in
            let since = slot.isStored ? Self.state(slot).idleSince : slot.idleSince
            guard let since, since < cutoff else { return nil }
            return key
        }
        for key in idle { slots[key] = nil }
        return idle.sorted()
    }

    /// Removes the states of rules not in `ruleIDs`; returns their keys, sorted.
    public mutating func removeRules(notIn ruleIDs: Set<String>) -> [RuleStateKey] {
        let gone = slots.keys.filter { !ruleIDs.contains($0.ruleID) }
        for key in gone { slots[key] = nil }
        return gone.sorted()
    }

    /// The keys of states still held as their stored JSON (for `settle`).
    public var storedKeys: [RuleStateKey] { slots.compactMap { $0.value.isStored ? $0.key : nil } }

    /// Decodes the stored states of `keys` once and keeps them packed (smaller, and
    /// decoded without parsing); returns the keys whose stored bytes could not be read,
    /// which now hold a new state at their row's revision.
    public mutating func settle(_ keys: some Sequence<RuleStateKey>) -> [RuleStateKey] {
        var unreadable: [RuleStateKey] = []
        for key in keys {
            guard let slot = slots[key], slot.isStored else { continue }
            if slot.decoded == nil { unreadable.append(key) }
            slots[key] = Slot(Self.state(slot))
        }
        return unreadable
    }

    /// A slot's state; an unreadable one reads as a new state at the slot's revision (its
    /// tier layout is adopted at its next event, see `RuleState.adoptLayout`).
    private static func state(_ slot: Slot) -> RuleState {
        if let state = slot.decoded { return state }
        var fresh = RuleState(tierSignature: "")
        fresh.revision = slot.revision
        fresh.escalationDueAt = nil
        return fresh
    }

    public func makeIterator() -> some IteratorProtocol<(key: RuleStateKey, value: RuleState)> {
        slots.lazy.map { (key: $0.key, value: Self.state($0.value)) }.makeIterator()
    }
}

extension RuleStates: Equatable {
    /// Equal when they hold the same keys and equal states, whatever form each is kept in.
    public static func == (a: RuleStates, b: RuleStates) -> Bool {
        a.count == b.count && a.slots.allSatisfy { key, slot in b.slots[key].map { state($0) == state(slot) } ?? false }
    }
}

extension RuleState {
    /// The idle time `RuleStates` keeps beside a decoded state (see `Slot.idleSince`).
    var idleSince: Date? { tier == nil && escalationDueAt == nil ? (lastEventAt ?? .distantPast) : nil }

    /// The stored form read back: the one-pass reader, then `JSONDecoder` for shapes it
    /// does not know (older states); nil when neither can read it.
    static func decodeStored(_ data: Data) -> RuleState? {
        if let state = RuleState(storedJSON: data) { return state }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try? decoder.decode(RuleState.self, from: data)
    }
}
