import Foundation
import Testing
@testable import HeraldCore

/// `JSONBytesWriter` must write the very bytes `JSONEncoder([.sortedKeys,
/// .withoutEscapingSlashes])` writes: webhook bodies are signed and stored, audit
/// payloads are read back, and receivers may compare bodies across versions.
struct JSONBytesWriterTests {
    /// Strings that stress escaping and key order: quotes, backslashes, every control
    /// character, slashes, DEL, non-ASCII, combining marks (where UTF-8 order and
    /// Swift's `String <` disagree), emoji.
    static let awkward = ["", "plain", "with \"quotes\"", #"back\slash"#, "slash/es", "tab\tnew\nline\r",
                          "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}", "del\u{7f}", "é", "e\u{301}x", "f", "Ω", "😀 ok",
                          "\u{2028}", "Z", "a", "aa", "a b", "ä"]

    static func randomString(_ rng: inout SplitMix64) -> String {
        if Int.random(in: 0..<3, using: &rng) == 0 { return awkward.randomElement(using: &rng)! }
        let pieces = ["a", "B", "7", " ", "\"", "\\", "/", "\n", "\u{3}", "é", "e\u{301}", "€", "😀", "_", "~", "\u{7f}"]
        return (0..<Int.random(in: 0..<12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func randomNumber(_ rng: inout SplitMix64) -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: Double(Int.random(in: -1000...1000, using: &rng))
        case 1: Double.random(in: -1...1, using: &rng)
        case 2: Double.random(in: 0...1e6, using: &rng).rounded() / 100
        case 3: [0.0, -0.0, 1e15, 1e16, 1e20, 1.5e-7, 1e-5, 5e-324, .greatestFiniteMagnitude, 0.1, 123456789012345678].randomElement(using: &rng)!
        case 4: Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)   // any finite positive
        default: Double(Int.random(in: 0...100, using: &rng)) + 0.5
        }
    }

    static func randomMap(_ rng: inout SplitMix64) -> [String: String] {
        var map: [String: String] = [:]
        for _ in 0..<Int.random(in: 0..<6, using: &rng) { map[randomString(&rng)] = randomString(&rng) }
        return map
    }

    static func randomNotification(_ rng: inout SplitMix64) -> HeraldCore.Notification {
        func maybe<T>(_ value: T) -> T? { Bool.random(using: &rng) ? value : nil }
        let subject = MetricEvent.Subject(id: randomString(&rng), type: maybe(randomString(&rng)), name: maybe(randomString(&rng)))
        let event = MetricEvent(id: maybe(randomString(&rng)), metric: randomString(&rng), value: randomNumber(&rng), subject: subject,
                                timestamp: maybe(Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000_000, using: &rng)) / 1000)),
                                relations: randomMap(&rng), labels: randomMap(&rng))
        var notification = HeraldCore.Notification(
            id: randomString(&rng), ruleID: randomString(&rng), ruleName: randomString(&rng),
            tier: TierReference(index: Int.random(in: 0...5, using: &rng), name: randomString(&rng), threshold: randomNumber(&rng)),
            transition: Transition.allCases.randomElement(using: &rng)!, episode: Int.random(in: 0...1_000_000, using: &rng),
            episodeID: randomString(&rng), event: event,
            recipients: (0..<Int.random(in: 0..<5, using: &rng)).map { _ in
                NotifiedPerson(id: randomString(&rng), name: randomString(&rng), path: randomString(&rng))
            },
            excluded: (0..<Int.random(in: 0..<4, using: &rng)).map { _ in
                ExcludedPerson(id: maybe(randomString(&rng)), name: maybe(randomString(&rng)), path: randomString(&rng), reason: randomString(&rng))
            },
            occurredAt: Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000, using: &rng))),
            reason: maybe(NotificationReason.allCases.randomElement(using: &rng)!), actor: maybe(randomString(&rng)),
            escalationStep: maybe(Int.random(in: 1...20, using: &rng)))
        notification.unrouted = maybe(Bool.random(using: &rng))
        notification.previousTier = maybe(TierReference(index: Int.random(in: 0...5, using: &rng), name: randomString(&rng),
                                                        threshold: randomNumber(&rng)))
        return notification
    }

    @Test func writerEscapesAndFormatsAsJSONEncoder() throws {
        var writer = JSONBytesWriter()
        writer.beginArray()
        for text in Self.awkward { writer.string(text) }
        for number in [15.0, 0.1, 1e20, 1.5e-7, -0.0, 1e15, 1e16, 5e-324, -2.5] { writer.number(number) }
        writer.integer(-42)
        writer.bool(true)
        writer.null()
        writer.endArray()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        struct Mixed: Encodable {
            func encode(to encoder: Encoder) throws {
                var c = encoder.unkeyedContainer()
                for text in JSONBytesWriterTests.awkward { try c.encode(text) }
                for number in [15.0, 0.1, 1e20, 1.5e-7, -0.0, 1e15, 1e16, 5e-324, -2.5] { try c.encode(number) }
                try c.encode(-42)
                try c.encode(true)
                try c.encodeNil()
            }
        }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: try encoder.encode(Mixed()), as: UTF8.self))
    }
}

/// Stored rule states: the bytes `JSONEncoder` (sorted keys, millisecond dates) writes,
/// and they decode back to the same state.
struct RuleStateStoredFormTests {
    @Test func storedStatesMatchJSONEncoderAndRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        var rng = SplitMix64(seed: 0x5EED_0003)
        func date() -> Date? {
            Bool.random(using: &rng) ? Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000_000, using: &rng)) / 1000) : nil
        }
        for round in 0..<500 {
            var state = RuleState(tierSignature: JSONBytesWriterTests.randomString(&rng))
            state.tier = Bool.random(using: &rng) ? Int.random(in: 0...4, using: &rng) : nil
            state.episode = Int.random(in: 0...10_000, using: &rng)
            state.episodeStartedAt = date()
            state.notices = Int.random(in: 0...50, using: &rng)
            state.lastEventAt = date()
            state.lastNoticeAt = date()
            state.notifiedTiers = (0..<Int.random(in: 0...3, using: &rng)).map { $0 }
            state.told = (0..<Int.random(in: 0...4, using: &rng)).map { _ in JSONBytesWriterTests.randomString(&rng) }
            state.acknowledgedBy = Bool.random(using: &rng) ? JSONBytesWriterTests.randomString(&rng) : nil
            state.acknowledgedAt = date()
            state.tierEnteredAt = date()
            state.escalationStep = Bool.random(using: &rng) ? Int.random(in: 0...9, using: &rng) : nil
            state.escalationDueAt = date()
            state.lastEvent = Bool.random(using: &rng) ? JSONBytesWriterTests.randomNotification(&rng).event : nil
            let stored = state.storedData()
            let reference = try encoder.encode(state)
            #expect(stored == reference, "round \(round): \(String(decoding: stored, as: UTF8.self)) != \(String(decoding: reference, as: UTF8.self))")
            #expect(try decoder.decode(RuleState.self, from: stored) == decoder.decode(RuleState.self, from: reference))
            // The restart's one-pass reader gives what JSONDecoder gives (issue #22).
            #expect(try RuleState(storedJSON: stored) == decoder.decode(RuleState.self, from: stored), "round \(round)")
            if stored != reference { return }
        }
    }
}
