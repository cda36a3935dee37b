import Foundation
import HeraldCore
import HeraldServer

/// The SCIM 2.0 service provider at `/scim/v2/` (RFC 7644). Reads need `read` or
/// `directory:write`; changes need `directory:write`. Refusals are SCIM error documents.
extension ApiRoutes {
    func addScimRoutes(to router: inout Router, auth: BearerAuthentication) {
        func reading(_ handler: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void) -> HTTPHandler {
            ClosureHandler { request, respond in
                // Identity providers hold one token: a `directory:write` token may read too.
                if auth.check(request, requiring: Scope.directoryWrite) == nil { return handler(request, respond) }
                if let refusal = ScimHTTP.authenticate(request, auth, scope: Scope.read) { return respond(refusal) }
                handler(request, respond)
            }
        }
        func writing(_ handler: @escaping @Sendable (HTTPRequest, @escaping HTTPResponder) -> Void) -> HTTPHandler {
            ClosureHandler { request, respond in
                if let refusal = ScimHTTP.authenticate(request, auth, scope: Scope.directoryWrite) { return respond(refusal) }
                handler(request, respond)
            }
        }
        router.add("GET", "/scim/v2/ServiceProviderConfig", reading { request, respond in
            respond(ScimHTTP.json(ScimDiscovery.serviceProviderConfig(request)))
        })
        router.add("GET", "/scim/v2/ResourceTypes", reading { request, respond in
            let types = ScimDiscovery.resourceTypes(request)
            respond(ScimHTTP.json(ScimHTTP.list(types, total: types.count, start: 1)))
        })
        router.add("GET", "/scim/v2/Schemas", reading { request, respond in
            let schemas = ScimDiscovery.schemas(request)
            respond(ScimHTTP.json(ScimHTTP.list(schemas, total: schemas.count, start: 1)))
        })
        router.add("GET", "/scim/v2/ResourceTypes/{id}", reading { request, respond in
            let id = request.pathParameters["id"] ?? ""
            guard let type = ScimDiscovery.resourceTypes(request).first(where: { ($0["id"] as? String) == id }) else {
                return respond(ScimHTTP.error(.notFound("no resource type '\(id)'; Herald has User and Group")))
            }
            respond(ScimHTTP.json(type))
        })
        router.add("GET", "/scim/v2/Schemas/{id}", reading { request, respond in
            let id = request.pathParameters["id"] ?? ""
            let schemas = ScimDiscovery.schemas(request)
            guard let schema = schemas.first(where: { ($0["id"] as? String) == id }) else {
                let known = schemas.compactMap { $0["id"] as? String }.joined(separator: ", ")
                return respond(ScimHTTP.error(.notFound("no schema '\(id)'; Herald has \(known)")))
            }
            respond(ScimHTTP.json(schema))
        })
        router.add("GET", "/scim/v2/Users", reading(scimListUsers))
        router.add("POST", "/scim/v2/Users", writing(scimCreateUser))
        router.add("GET", "/scim/v2/Users/{id}", reading(scimGetUser))
        router.add("PUT", "/scim/v2/Users/{id}", writing(scimReplaceUser))
        router.add("PATCH", "/scim/v2/Users/{id}", writing(scimPatchUser))
        router.add("DELETE", "/scim/v2/Users/{id}", writing(scimDeleteUser))
        router.add("GET", "/scim/v2/Groups", reading(scimListGroups))
        router.add("POST", "/scim/v2/Groups", writing(scimCreateGroup))
        router.add("GET", "/scim/v2/Groups/{id}", reading(scimGetGroup))
        router.add("PUT", "/scim/v2/Groups/{id}", writing(scimReplaceGroup))
        router.add("PATCH", "/scim/v2/Groups/{id}", writing(scimPatchGroup))
        router.add("DELETE", "/scim/v2/Groups/{id}", writing(scimDeleteGroup))
    }
}
