import Foundation
import Testing
@testable import HeraldCore

/// A notification has one encoder (`NotificationDocument`); its bytes are signed into
/// webhooks and stored in the audit log, and explain shows them read back. Each is held
/// to an independent reference (`ReferenceNotification`) on generated notifications.
struct NotificationEncodingTests {
    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func auditPayloadsMatchTheEncodableReferenceByteForByte() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        for round in 0..<600 {
            let notification = JSONBytesWriterTests.randomNotification(&rng)
            let written = NotificationJSON.data(notification)
            let reference = try ReferenceNotification(notification).data()
            #expect(written == reference, "round \(round): \(Self.text(written)) != \(Self.text(reference))")
            if written != reference { return }
        }
    }

    @Test func webhookDocumentsWithContactsAndAckLinksMatchTheReference() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        func maybe(_ make: () -> String) -> String? { Bool.random(using: &rng) ? make() : nil }
        for round in 0..<400 {
            let notification = JSONBytesWriterTests.randomNotification(&rng)
            var document = NotificationDocument(notification)
            var reference = ReferenceNotification(notification)
            let type = maybe { "herald.notification.firing" }, notifiedAt = maybe { JSONBytesWriterTests.randomString(&rng) }
            let target = maybe { JSONBytesWriterTests.randomString(&rng) }, group = maybe { JSONBytesWriterTests.randomString(&rng) }
            (document.type, document.notifiedAt, document.target, document.group) = (type, notifiedAt, target, group)
            (reference.type, reference.notifiedAt, reference.target, reference.group) = (type, notifiedAt, target, group)
            if Bool.random(using: &rng) { (document.excluded, reference.excluded) = (nil, nil) }
            let link = AckLink(token: JSONBytesWriterTests.randomString(&rng), expiresAt: JSONBytesWriterTests.randomString(&rng),
                               url: JSONBytesWriterTests.randomString(&rng), apiURL: JSONBytesWriterTests.randomString(&rng))
            if Bool.random(using: &rng) { (document.ack, reference.ack) = (link, ReferenceNotification.Ack(link)) }
            for index in document.recipients.indices {
                let address = maybe { JSONBytesWriterTests.randomString(&rng) }, email = maybe { JSONBytesWriterTests.randomString(&rng) }
                let phone = maybe { JSONBytesWriterTests.randomString(&rng) }, withLink = Bool.random(using: &rng)
                (document.recipients[index].address, document.recipients[index].email, document.recipients[index].phone) = (address, email, phone)
                (reference.recipients[index].address, reference.recipients[index].email, reference.recipients[index].phone) = (address, email, phone)
                document.recipients[index].ack = withLink ? link : nil
                reference.recipients[index].ack = withLink ? ReferenceNotification.Ack(link) : nil
            }
            let written = document.data()
            let expected = try reference.data()
            #expect(written == expected, "round \(round): \(Self.text(written)) != \(Self.text(expected))")
            if written != expected { return }
        }
    }

    /// Explain shows the audit document read back; its output must be the bytes the
    /// hand-built dictionary it replaced gave, numbers included (-0, 1e+20, 2^53 and up).
    @Test func explainShowsTheAuditDocumentAsTheDictionaryItReplacedByteForByte() {
        var rng = SplitMix64(seed: 0x5EED_0004)
        for round in 0..<300 {
            let notification = JSONBytesWriterTests.randomNotification(&rng)
            let shown = ExplanationRenderer.serialize(NotificationJSON.object(notification))
            let expected = ExplanationRenderer.serialize(ReferenceNotification.explainObject(notification))
            #expect(shown == expected, "round \(round): \(Self.text(shown)) != \(Self.text(expected))")
            let event = ExplanationRenderer.serialize(NotificationJSON.event(notification.event))
            #expect(event == ExplanationRenderer.serialize(ReferenceNotification.explainEvent(notification.event)), "round \(round)")
            if shown != expected { return }
        }
    }

    @Test func foundationObjectsReadWholeNumbersAsIntAndKeepEveryOtherDoubleExactly() throws {
        let integers: [Double: Int] = [15: 15, -3: -3, 999_999_999_999_999: 999_999_999_999_999]
        let doubles: [Double] = [-0.0, 1e20, 123456789012345678, 5e-324, .greatestFiniteMagnitude, 0.1, 1e15]
        func read(_ value: Double) throws -> Any? {
            var writer = JSONBytesWriter()
            writer.beginArray()
            writer.number(value)
            writer.endArray()
            return try #require(try JSONValue.parse(writer.data).foundationObject as? [Any]).first
        }
        for (value, integer) in integers { #expect(try read(value) as? Int == integer, "\(value)") }
        for value in doubles { #expect((try read(value) as? Double)?.bitPattern == value.bitPattern, "\(value)") }
    }
}
