import Foundation
import HeraldCore
import HeraldServer

/// SCIM discovery (RFC 7644 §4, RFC 7643 §5–7): what Herald supports, its resource
/// types and the schemas of the attributes it keeps. Static documents; `location`s are
/// built from the request's Host.
enum ScimDiscovery {
    static func serviceProviderConfig(_ request: HTTPRequest) -> [String: Any] {
        [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": ["supported": true],
            "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
            "filter": ["supported": true, "maxResults": ScimHTTP.maxPageSize],
            "changePassword": ["supported": false],
            "sort": ["supported": false],
            "etag": ["supported": true],
            "authenticationSchemes": [[
                "type": "oauthbearertoken", "name": "Bearer token", "primary": true,
                "description": "A Herald API token with the 'directory:write' scope (server.tokens in the config).",
            ]],
            "meta": ["resourceType": "ServiceProviderConfig", "location": ScimHTTP.location(request, "ServiceProviderConfig")],
        ]
    }

    static func resourceTypes(_ request: HTTPRequest) -> [[String: Any]] {
        [
            ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User", "endpoint": "/Users",
             "description": "A person Herald can notify", "schema": ScimSchema.user,
             "schemaExtensions": [["schema": ScimSchema.heraldUser, "required": false]],
             "meta": ["resourceType": "ResourceType", "location": ScimHTTP.location(request, "ResourceTypes/User")]],
            ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group", "name": "Group", "endpoint": "/Groups",
             "description": "A custom group, or a role through scim.roleGroups", "schema": ScimSchema.group,
             "meta": ["resourceType": "ResourceType", "location": ScimHTTP.location(request, "ResourceTypes/Group")]],
        ]
    }

    static func schemas(_ request: HTTPRequest) -> [[String: Any]] {
        let multi: [[String: Any]] = [attribute("value", required: true), attribute("type"), attribute("primary", type: "boolean"),
                                      attribute("display")]
        let user = schema(ScimSchema.user, "User", request, [
            attribute("userName", required: true, uniqueness: "server", mutability: "immutable"),
            attribute("externalId"),
            attribute("name", type: "complex", sub: [attribute("formatted"), attribute("givenName"), attribute("familyName")]),
            attribute("displayName"),
            attribute("active", type: "boolean"),
            attribute("emails", type: "complex", multiValued: true, sub: multi),
            attribute("phoneNumbers", type: "complex", multiValued: true, sub: multi),
            attribute("roles", type: "complex", multiValued: true, sub: multi),
        ])
        let group = schema(ScimSchema.group, "Group", request, [
            attribute("displayName", required: true, uniqueness: "server"),
            attribute("externalId"),
            attribute("members", type: "complex", multiValued: true, sub: [
                attribute("value", required: true, mutability: "immutable"),
                attribute("type", mutability: "immutable"),
                attribute("display", mutability: "immutable"),
            ]),
        ])
        let herald = schema(ScimSchema.heraldUser, "Herald user", request, [attribute("owner", type: "boolean")])
        return [user, group, herald]
    }

    private static func schema(_ id: String, _ name: String, _ request: HTTPRequest, _ attributes: [[String: Any]]) -> [String: Any] {
        ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], "id": id, "name": name, "attributes": attributes,
         "meta": ["resourceType": "Schema", "location": ScimHTTP.location(request, "Schemas/\(id)")]]
    }

    private static func attribute(_ name: String, type: String = "string", multiValued: Bool = false, required: Bool = false,
                                  uniqueness: String = "none", mutability: String = "readWrite", sub: [[String: Any]]? = nil) -> [String: Any] {
        var object: [String: Any] = ["name": name, "type": type, "multiValued": multiValued, "required": required,
                                     "mutability": mutability, "returned": "default", "uniqueness": uniqueness,
                                     "caseExact": false, "description": name]
        if let sub { object["subAttributes"] = sub }
        return object
    }
}
