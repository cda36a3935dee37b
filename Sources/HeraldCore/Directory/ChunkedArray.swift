/// An array kept in chunks of `chunkSize`, so that a changed copy shares every chunk it
/// did not touch. A directory snapshot is a value that in-flight evaluations keep; the
/// next one (after a SCIM change) copies the users. As one `[User]` of 100,000 users the
/// copy alone retained ≈ 900,000 references (p50 of one change 21.6 ms, herald-bench
/// directory-change); in chunks, a change copies the chunk list and one chunk.
public struct ChunkedArray<Element: Sendable>: RandomAccessCollection, MutableCollection, Sendable {
    /// 512 elements: one chunk of users copies in a few µs, and 100,000 users are ≈ 200
    /// chunks, so the chunk list is as cheap to copy.
    static var chunkShift: Int { 9 }
    static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[Element]] = []
    public private(set) var count = 0

    public init() {}

    public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        set { chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] = newValue }
    }

    public mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }
}

/// A string-keyed index split into shards by hash, for the same reason as
/// `ChunkedArray`: a changed copy copies one shard, not 100,000 keys.
struct ShardedIndex: Sendable {
    /// 256 shards: ≈ 400 keys each at 100,000 users.
    static let shardCount = 256
    private var shards: [[String: Int]]

    init(_ entries: [String: Int]) {
        shards = Array(repeating: [:], count: Self.shardCount)
        for (key, value) in entries { self[key] = value }
    }

    subscript(key: String) -> Int? {
        get { shards[Self.shard(key)][key] }
        set { shards[Self.shard(key)][key] = newValue }
    }

    var keys: [String] { shards.flatMap(\.keys) }

    private static func shard(_ key: String) -> Int { key.hashValue & (shardCount - 1) }
}
