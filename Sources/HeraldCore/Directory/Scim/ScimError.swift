/// A SCIM error (RFC 7644 §3.12): the HTTP status, the `scimType` keyword for 400s
/// and 409s, and a `detail` that names the attribute and the value.
public struct ScimError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let scimType: String?
    public let detail: String

    public init(status: Int, scimType: String?, _ detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
    }

    public var description: String { "\(status) \(scimType ?? "-"): \(detail)" }

    public static func invalidValue(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "invalidValue", detail) }
    public static func invalidSyntax(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "invalidSyntax", detail) }
    public static func invalidFilter(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "invalidFilter", detail) }
    public static func invalidPath(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "invalidPath", detail) }
    public static func noTarget(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "noTarget", detail) }
    public static func mutability(_ detail: String) -> ScimError { ScimError(status: 400, scimType: "mutability", detail) }
    public static func uniqueness(_ detail: String) -> ScimError { ScimError(status: 409, scimType: "uniqueness", detail) }
    public static func notFound(_ detail: String) -> ScimError { ScimError(status: 404, scimType: nil, detail) }

    /// A directory refusal as SCIM sees it: something defined in the config or a file
    /// is a conflict (409, naming the file); the config's other checks are a bad value.
    public init(_ error: DirectoryChangeError) {
        switch error.code {
        case .ownedElsewhere: self.init(status: 409, scimType: "uniqueness", error.message)
        default: self.init(status: 400, scimType: "invalidValue", error.message)
        }
    }

    /// The error document.
    public var json: [String: Any] {
        var object: [String: Any] = ["schemas": [ScimSchema.error], "status": String(status), "detail": detail]
        if let scimType { object["scimType"] = scimType }
        return object
    }
}
