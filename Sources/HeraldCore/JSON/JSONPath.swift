/// A location inside a JSON document, rendered as `users[3].roles[0]`.
///
/// Every config and event error names one, so an operator can go straight to the fault.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// One step: an object key or an array index.
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public private(set) var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// The document root.
    public static let root = JSONPath()

    public func appending(_ key: String) -> JSONPath { JSONPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> JSONPath { JSONPath(components + [.index(index)]) }

    /// `users[3].name`; keys that are not plain identifiers are quoted: `labels["team a"]`.
    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .index(let i):
                text += "[\(i)]"
            case .key(let k):
                if JSONPath.isIdentifier(k) {
                    text += text.isEmpty ? k : ".\(k)"
                } else {
                    text += "[\"\(k.replacingOccurrences(of: "\"", with: "\\\""))\"]"
                }
            }
        }
        return text.isEmpty ? "(root)" : text
    }

    public static func < (a: JSONPath, b: JSONPath) -> Bool { a.description < b.description }

    static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || first == "$" || first.properties.isAlphabetic else {
            return false
        }
        return key.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || $0 == "$" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}
