import Foundation

/// `attributes=` and `excludedAttributes=` (RFC 7644 §3.4.2.5, §3.9): which attributes a
/// resource in an answer carries. Names are case-insensitive, may name a sub-attribute
/// (`name.givenName`, `emails.value`) and may be written with their schema's URN
/// (`urn:ietf:params:scim:schemas:core:2.0:User:userName`, or an extension's whole URN).
/// `id` and `schemas` are always returned (RFC 7643 §3.1, §3: "returned: always").
public struct ScimAttributes: Sendable, Equatable {
    /// Lower-cased paths: one element for an attribute, two for a sub-attribute.
    public private(set) var only: [[String]]?
    public private(set) var excluded: [[String]] = []

    /// Most names one parameter may list: a resource has a few dozen attributes at most,
    /// so a longer list is a mistake or abuse, not a request.
    public static let maxNames = 64
    /// Attributes every answer keeps whatever is asked.
    static let always: Set<String> = ["id", "schemas"]

    /// Reads the two query parameters; `schemas` are the URNs the resource type uses
    /// (its core schema first), for stripping fully qualified names.
    public init(attributes: String?, excludedAttributes: String?, schemas: [String]) throws(ScimError) {
        if let attributes { only = try Self.paths(attributes, parameter: "attributes", schemas: schemas) }
        if let excludedAttributes { excluded = try Self.paths(excludedAttributes, parameter: "excludedAttributes", schemas: schemas) }
    }

    /// Nothing asked: every attribute as Herald returns it by default.
    public var isDefault: Bool { only == nil && excluded.isEmpty }

    /// Whether the top-level attribute `name` is excluded as a whole (lets a caller skip
    /// building a large value, such as a group's 10,000 members).
    public func excludes(_ name: String) -> Bool {
        let key = name.lowercased()
        if Self.always.contains(key) { return false }
        if let only { return !only.contains { $0[0] == key } }
        return excluded.contains { $0 == [key] }
    }

    /// `object` with only the asked attributes.
    public func apply(to object: [String: Any]) -> [String: Any] {
        guard !isDefault else { return object }
        var result: [String: Any] = [:]
        for (key, value) in object {
            let name = key.lowercased()
            if Self.always.contains(name) {
                result[key] = value
            } else if let only {
                let asked = only.filter { $0[0] == name }
                if asked.contains(where: { $0.count == 1 }) {
                    result[key] = value
                } else if !asked.isEmpty {
                    result[key] = Self.keeping(Set(asked.map { $0[1] }), of: value)
                }
            } else if !excluded.contains([name]) {
                let dropped = Set(excluded.filter { $0.count == 2 && $0[0] == name }.map { $0[1] })
                result[key] = dropped.isEmpty ? value : Self.dropping(dropped, of: value)
            }
        }
        return result
    }

    // MARK: - Parsing and sub-attributes

    private static func paths(_ text: String, parameter: String, schemas: [String]) throws(ScimError) -> [[String]] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard names.count <= maxNames else {
            throw .invalidValue("'\(parameter)' lists \(names.count) attributes; at most \(maxNames)")
        }
        return try names.map { (name) throws(ScimError) in try path(name, parameter: parameter, schemas: schemas) }
    }

    /// `urn:…:User:name.givenName` → ["name", "givenname"]; an extension's URN alone is
    /// its whole object (the key is the URN).
    private static func path(_ name: String, parameter: String, schemas: [String]) throws(ScimError) -> [String] {
        var rest = name.lowercased()
        for schema in schemas.map({ $0.lowercased() }) {
            if rest == schema { return [rest] }
            if rest.hasPrefix(schema + ":") {
                rest = String(rest.dropFirst(schema.count + 1))
                // An extension's attributes live in an object keyed by its URN.
                if schema != schemas.first?.lowercased() { return [schema, rest] }
                break
            }
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(":") }) else {
            throw .invalidValue("'\(name)' in '\(parameter)' is not an attribute name (write 'name' or 'name.subAttribute')")
        }
        return parts
    }

    /// A complex value (or each element of a multi-valued one) with only `names`.
    private static func keeping(_ names: Set<String>, of value: Any) -> Any {
        if let list = value as? [[String: Any]] { return list.map { $0.filter { names.contains($0.key.lowercased()) } } }
        if let object = value as? [String: Any] { return object.filter { names.contains($0.key.lowercased()) } }
        return value
    }

    /// A complex value (or each element of a multi-valued one) without `names`.
    private static func dropping(_ names: Set<String>, of value: Any) -> Any {
        if let list = value as? [[String: Any]] { return list.map { $0.filter { !names.contains($0.key.lowercased()) } } }
        if let object = value as? [String: Any] { return object.filter { !names.contains($0.key.lowercased()) } }
        return value
    }
}
