public import Foundation

/// Writes the JSON documents of the channel formats: members in sorted key order
/// (deterministic bytes for golden tests and for retries), through the same writer as
/// the standard webhook body.
extension JSONValue {
    public var jsonData: Data {
        var writer = JSONBytesWriter(capacity: 1024)
        write(to: &writer)
        return writer.data
    }

    func write(to w: inout JSONBytesWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .number(let n): w.number(n)
        case .string(let s): w.string(s)
        case .array(let items):
            w.beginArray()
            for item in items { item.write(to: &w) }
            w.endArray()
        case .object(let members):
            w.beginObject()
            for key in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                w.key(key)
                members[key]!.write(to: &w)
            }
            w.endObject()
        }
    }
}
