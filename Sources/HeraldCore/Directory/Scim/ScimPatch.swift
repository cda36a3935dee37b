/// SCIM PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` operations applied in
/// order to a copy of the resource; any failing operation fails the whole request.
public struct ScimPatch: Sendable {
    public enum Op: String, Sendable { case add, replace, remove }

    public struct Operation: Sendable {
        public let op: Op
        /// Lower-cased attribute path, nil for "the resource itself".
        public let path: String?
        public let value: JSONValue?
    }

    /// Most operations in one PATCH request.
    public static let maxOperations = 1_000

    public let operations: [Operation]

    /// Reads a `PatchOp` body.
    public init(_ body: JSONValue) throws(ScimError) {
        let object = try ScimJSON.lowered(body, "the body")
        guard case .array(let items)? = object["operations"], !items.isEmpty else {
            throw .invalidSyntax("a PatchOp needs a non-empty 'Operations' array")
        }
        guard items.count <= Self.maxOperations else { throw .invalidValue("at most \(Self.maxOperations) operations per request") }
        var operations: [Operation] = []
        for item in items {
            let fields = try ScimJSON.lowered(item, "an operation")
            guard case .string(let opText)? = fields["op"], let op = Op(rawValue: opText.lowercased()) else {
                throw .invalidSyntax("each operation needs 'op': add, replace or remove")
            }
            var path: String?
            if case .string(let text)? = fields["path"], !text.isEmpty { path = text }
            if op == .remove, path == nil { throw .noTarget("a remove operation needs a 'path'") }
            operations.append(Operation(op: op, path: path, value: fields["value"]))
        }
        self.operations = operations
    }

    // MARK: - Users

    /// The user after every operation.
    public func apply(to user: ScimUser) throws(ScimError) -> ScimUser {
        var user = user
        for operation in operations {
            if let path = operation.path {
                try Self.apply(operation.op, path: path, value: operation.value, to: &user)
            } else {
                // No path: the value is an object of attribute → value (dotted names allowed).
                guard case .object(let members)? = operation.value else { throw .invalidValue("an operation without 'path' needs an object 'value'") }
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    try Self.apply(operation.op, path: key, value: value, to: &user)
                }
            }
        }
        return user
    }

    private static func apply(_ op: Op, path rawPath: String, value: JSONValue?, to user: inout ScimUser) throws(ScimError) {
        var path = rawPath.lowercased()
        let heraldPrefix = ScimSchema.heraldUser.lowercased() + ":"
        if path.hasPrefix(ScimSchema.user.lowercased() + ":") { path = String(path.dropFirst(ScimSchema.user.count + 1)) }
        if path.hasPrefix(heraldPrefix) { path = "herald." + path.dropFirst(heraldPrefix.count) }
        if let bracket = path.firstIndex(of: "[") {
            return try applyFiltered(op, path: path, bracket: bracket, value: value, to: &user)
        }
        let given = value ?? .null
        switch path {
        case "active": user.active = op == .remove ? true : try ScimJSON.bool(given, "active")
        case "displayname": user.displayName = op == .remove ? nil : try string(given, "displayName")
        case "externalid": user.externalId = op == .remove ? nil : try string(given, "externalId")
        case "username":
            guard op != .remove, case .string(let name) = given, name == user.userName else {
                throw .mutability("'userName' is Herald's user id and cannot change ('\(user.userName)')")
            }
        case "name": user.name = op == .remove ? ScimName() : try ScimJSON.name(given)
        case "name.givenname": user.name.givenName = op == .remove ? nil : try string(given, "name.givenName")
        case "name.familyname": user.name.familyName = op == .remove ? nil : try string(given, "name.familyName")
        case "name.formatted": user.name.formatted = op == .remove ? nil : try string(given, "name.formatted")
        case "emails": user.emails = try merge(op, user.emails, given, "emails")
        case "phonenumbers": user.phoneNumbers = try merge(op, user.phoneNumbers, given, "phoneNumbers")
        case "roles": user.roles = try merge(op, user.roles, given, "roles")
        case "herald.owner": user.owner = op == .remove ? false : try ScimJSON.bool(given, "owner")
        default: throw .invalidPath("attribute '\(rawPath)' is not one Herald keeps (active, name, displayName, externalId, emails, phoneNumbers, roles)")
        }
    }

    /// `emails[type eq "work"].value`, `roles[value eq "manager"]`: the values the filter
    /// selects are removed, or their sub-attribute set (a new value when none matches).
    private static func applyFiltered(_ op: Op, path: String, bracket: String.Index, value: JSONValue?, to user: inout ScimUser) throws(ScimError) {
        guard let close = path.firstIndex(of: "]") else { throw .invalidPath("missing ']' in '\(path)'") }
        let attribute = String(path[..<bracket])
        let filter = try ScimFilter.parse(String(path[path.index(after: bracket)..<close]))
        let sub = path[path.index(after: close)...].drop { $0 == "." }
        var values: [ScimMultiValue]
        switch attribute {
        case "emails": values = user.emails
        case "phonenumbers": values = user.phoneNumbers
        case "roles": values = user.roles
        default: throw .invalidPath("'\(attribute)' is not a multi-valued attribute Herald keeps")
        }
        let selected = values.indices.filter { i in filter.matches { Self.field($0, of: values[i]) } }
        if op == .remove {
            for i in selected.reversed() { values.remove(at: i) }
        } else {
            guard sub == "value" || sub.isEmpty else { throw .invalidPath("only '.value' can be set through a filter, not '\(sub)'") }
            let newValue: String
            if sub.isEmpty {
                guard case .object(let object)? = value, case .string(let text)? = object["value"] ?? object["Value"] else {
                    throw .invalidValue("'\(path)' needs an object with a 'value'")
                }
                newValue = text
            } else {
                newValue = try string(value ?? .null, path)
            }
            if selected.isEmpty {
                var type: String?
                if case .compare("type", .eq, .string(let wanted)) = filter { type = wanted }
                values.append(ScimMultiValue(value: newValue, type: type))
            }
            for i in selected { values[i].value = newValue }
        }
        switch attribute {
        case "emails": user.emails = values
        case "phonenumbers": user.phoneNumbers = values
        default: user.roles = values
        }
    }

    static func field(_ path: String, of value: ScimMultiValue) -> [ScimFilter.Literal] {
        switch path {
        case "value": [.string(value.value)]
        case "type": value.type.map { [.string($0)] } ?? []
        case "primary": [.bool(value.primary)]
        case "display": value.display.map { [.string($0)] } ?? []
        default: []
        }
    }

    /// add appends (skipping values already there), replace sets, remove drops the
    /// values given (or all, without a value).
    private static func merge(_ op: Op, _ current: [ScimMultiValue], _ value: JSONValue, _ name: String) throws(ScimError) -> [ScimMultiValue] {
        let given = try ScimJSON.multiValues(value.asArray, name)
        switch op {
        case .replace: return given
        case .add: return current + given.filter { new in !current.contains { $0.value == new.value } }
        case .remove:
            if case .null = value { return [] }
            return current.filter { old in !given.contains { $0.value == old.value } }
        }
    }

    private static func string(_ value: JSONValue, _ name: String) throws(ScimError) -> String {
        guard case .string(let text) = value else { throw .invalidValue("'\(name)' must be a string, found \(value.typeName)") }
        guard text.utf8.count <= ScimJSON.maxStringLength else { throw .invalidValue("'\(name)' is longer than \(ScimJSON.maxStringLength) bytes") }
        return text
    }

    // MARK: - Groups

    /// The group after every operation: `members` add/remove/replace, `displayName`,
    /// `externalId`.
    public func apply(to group: ScimGroup) throws(ScimError) -> ScimGroup {
        var group = group
        for operation in operations {
            if let path = operation.path {
                try Self.apply(operation.op, path: path, value: operation.value, to: &group)
            } else {
                guard case .object(let members)? = operation.value else { throw .invalidValue("an operation without 'path' needs an object 'value'") }
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    try Self.apply(operation.op, path: key, value: value, to: &group)
                }
            }
        }
        return group
    }

    private static func apply(_ op: Op, path rawPath: String, value: JSONValue?, to group: inout ScimGroup) throws(ScimError) {
        var path = rawPath.lowercased()
        if path.hasPrefix(ScimSchema.group.lowercased() + ":") { path = String(path.dropFirst(ScimSchema.group.count + 1)) }
        if path.hasPrefix("members["), let close = path.lastIndex(of: "]") {
            guard op == .remove else { throw .invalidPath("only remove may name members by a filter") }
            let filter = try ScimFilter.parse(String(rawPath[rawPath.index(rawPath.startIndex, offsetBy: 8)..<close]))
            group.members.removeAll { member in
                filter.matches { $0 == "value" ? [.string(member.value)] : ($0 == "type" ? [.string(member.kind.rawValue)] : []) }
            }
            return
        }
        switch path {
        case "members":
            let given = try value.map { (v) throws(ScimError) in try ScimJSON.members(v.asArray) } ?? []
            switch op {
            case .replace: group.members = given
            case .add: group.members += given.filter { new in !group.members.contains { $0.value == new.value } }
            case .remove: group.members = value == nil ? [] : group.members.filter { old in !given.contains { $0.value == old.value } }
            }
        case "displayname":
            guard op != .remove, case .string(let name)? = value, !name.isEmpty else { throw .invalidValue("'displayName' must be a non-empty string") }
            group.displayName = name
        case "externalid":
            group.externalId = op == .remove ? nil : try string(value ?? .null, "externalId")
        default: throw .invalidPath("attribute '\(rawPath)' is not one Herald keeps on a group (displayName, externalId, members)")
        }
    }
}

extension JSONValue {
    /// A single value given where an array is expected counts as a one-element array
    /// (some IdPs send one email object rather than a list of one).
    var asArray: JSONValue {
        switch self {
        case .array, .null: self
        default: .array([self])
        }
    }
}
