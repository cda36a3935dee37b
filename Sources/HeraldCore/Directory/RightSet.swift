/// The access rights a config mentions, numbered so a user's rights are a bit set.
///
/// A `section.*` grant covers every known right of that section; it is expanded here,
/// once, so checking a right during resolution is a single bit test.
public struct RightCatalog: Sendable {
    public let names: [String]
    private let index: [String: Int]

    init(names: Set<String>) {
        self.names = names.filter { !RightCatalog.isWildcard($0) }.sorted()
        self.index = Dictionary(uniqueKeysWithValues: self.names.enumerated().map { ($1, $0) })
    }

    public func number(of right: String) -> Int? { index[right] }

    /// The set a right or a `section.*` wildcard stands for.
    func expand(_ right: String) -> RightSet {
        var set = RightSet()
        if RightCatalog.isWildcard(right) {
            let prefix = String(right.dropLast(1))
            for (number, name) in names.enumerated() where name.hasPrefix(prefix) { set.insert(number) }
        } else if let number = index[right] {
            set.insert(number)
        }
        return set
    }

    func expand(_ rights: [String]) -> RightSet {
        rights.reduce(into: RightSet()) { $0.formUnion(expand($1)) }
    }

    func names(in set: RightSet) -> [String] {
        names.enumerated().filter { set.contains($0.offset) }.map(\.element)
    }

    static func isWildcard(_ right: String) -> Bool { right == "*" || right.hasSuffix(".*") }
}

/// A set of rights as bits; small and fast to test.
public struct RightSet: Sendable, Equatable {
    private(set) var words: [UInt64] = []

    public init() {}

    public func contains(_ number: Int) -> Bool {
        let word = number >> 6
        return word < words.count && words[word] & (1 << UInt64(number & 63)) != 0
    }

    mutating func insert(_ number: Int) {
        let word = number >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(number & 63)
    }

    mutating func formUnion(_ other: RightSet) {
        if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
        for (i, w) in other.words.enumerated() { words[i] |= w }
    }

    mutating func subtract(_ other: RightSet) {
        for i in 0..<min(words.count, other.words.count) { words[i] &= ~other.words[i] }
    }

    /// Whether every right in `other` is here.
    public func isSuperset(of other: RightSet) -> Bool {
        for (i, w) in other.words.enumerated() where w != 0 {
            guard i < words.count, words[i] & w == w else { return false }
        }
        return true
    }
}
