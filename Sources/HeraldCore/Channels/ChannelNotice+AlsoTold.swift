public import Foundation

extension ChannelNotice {
    /// The people a notice told besides one message's own, bounded for large fan-outs:
    /// up to `maxListed` by name and path, and how many there are in all. A person
    /// reading a per-recipient message ("Also told: Maya Murphy (role:manager), … and
    /// 9,998 more") learns who else knows without the message growing with the group.
    public struct AlsoTold: Sendable, Equatable {
        public let people: [Person]
        public let total: Int

        /// Names listed at most: enough to see who else knows, short enough to read.
        public static let maxListed = 10
    }

    /// A notice's recipients as far as `AlsoTold` needs them: the first `sampleSize` in
    /// the notice's order and the count. Made once per notice (parsing the audit
    /// document), then applied to each of its deliveries at no further cost, so a
    /// 10,000-person fan-out does not read the 10,000-person list 10,000 times.
    public struct ToldSample: Sendable, Equatable {
        public let people: [Person]
        public let total: Int

        /// People kept: twice the listed number, so a message excluding a few of them
        /// (its own people) still has names to list.
        public static let sampleSize = 2 * AlsoTold.maxListed

        public init(people: [Person], total: Int) {
            self.people = Array(people.prefix(Self.sampleSize))
            self.total = total
        }

        /// From a notice document (the audit payload, `recipients` with every person
        /// told); nil when it is not one.
        public init?(noticeDocument data: Data) {
            guard case .object(let o)? = try? JSONValue.parse(data), case .array(let recipients)? = o["recipients"] else { return nil }
            self.init(recipients: recipients)
        }

        /// From a notice document's `recipients`, already parsed (`WebhookBody.Notice`).
        init(recipients: [JSONValue]) {
            var people: [Person] = []
            for item in recipients.prefix(Self.sampleSize) {
                guard case .object(let p) = item, let id = p["id"]?.stringValue else { continue }
                people.append(Person(id: id, name: p["name"]?.stringValue ?? id, path: p["path"]?.stringValue ?? "", ackURL: nil))
            }
            self.init(people: people, total: recipients.count)
        }

        /// Who else was told, for a message to `messageRecipients` (all of whom are among
        /// the notice's recipients); nil when nobody else was.
        public func alsoTold(excluding messageRecipients: [String]) -> AlsoTold? {
            let own = Set(messageRecipients)
            let others = max(0, total - own.count)
            guard others > 0 else { return nil }
            let listed = people.lazy.filter { !own.contains($0.id) }.prefix(AlsoTold.maxListed)
            return AlsoTold(people: Array(listed), total: others)
        }
    }
}
