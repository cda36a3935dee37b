import Foundation
import HeraldCore
import HeraldServer

/// SCIM's side of HTTP: `application/scim+json` bodies, errors in the SCIM error format,
/// paging parameters, `If-Match` and the bearer check with SCIM-shaped refusals.
enum ScimHTTP {
    static let contentType = "application/scim+json"
    /// Largest SCIM request body: a group of 10,000 members is ≈ 600 KB.
    static let maxRequestBytes = 2 * 1024 * 1024
    /// Largest page (`count`) a list returns, whatever is asked.
    static let maxPageSize = 500
    /// Page size when the client names none.
    static let defaultPageSize = 100
    /// The prefix every SCIM route shares.
    static let base = "/scim/v2"

    static func json(_ object: Any, status: Int = 200, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)] + headers, body: ExplanationRenderer.serialize(object))
    }

    static func error(_ error: ScimError, headers: [(String, String)] = []) -> HTTPResponse {
        json(error.json, status: error.status, headers: headers)
    }

    /// A SCIM-shaped refusal when the token is missing, unknown or lacks `scope`.
    static func authenticate(_ request: HTTPRequest, _ auth: BearerAuthentication, scope: String) -> HTTPResponse? {
        guard let refusal = auth.check(request, requiring: scope) else { return nil }
        let detail = refusal.status == 403 ? "the bearer token lacks the '\(scope)' scope" : "a valid bearer token is required"
        return error(ScimError(status: refusal.status, scimType: nil, detail), headers: refusal.headers.filter { $0.0 == "WWW-Authenticate" })
    }

    /// The body as JSON after the media-type and size checks.
    static func body(_ request: HTTPRequest) throws(ScimError) -> JSONValue {
        let media = (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard media == contentType || media == "application/json" else {
            throw ScimError(status: 415, scimType: nil, "content-type must be \(contentType) or application/json")
        }
        guard request.body.count <= maxRequestBytes else {
            throw ScimError(status: 413, scimType: nil, "a SCIM request body is at most \(maxRequestBytes) bytes")
        }
        do {
            return try JSONValue.parse(request.body)
        } catch {
            throw ScimError(status: 400, scimType: "invalidSyntax", error.message)
        }
    }

    /// `startIndex` (1-based) and `count`, clamped as RFC 7644 §3.4.2.4 says.
    static func paging(_ request: HTTPRequest) -> (start: Int, count: Int) {
        let start = max(1, request.query["startIndex"].flatMap { Int($0) } ?? 1)
        let count = min(maxPageSize, max(0, request.query["count"].flatMap { Int($0) } ?? defaultPageSize))
        return (start, count)
    }

    /// `attributes=` / `excludedAttributes=` of a read (400 `invalidValue` when malformed).
    static func attributes(_ request: HTTPRequest, schemas: [String]) throws(ScimError) -> ScimAttributes {
        try ScimAttributes(attributes: request.query["attributes"], excludedAttributes: request.query["excludedAttributes"], schemas: schemas)
    }

    /// Refuses a write whose `If-Match` names another version (412).
    static func checkVersion(_ request: HTTPRequest, _ meta: ScimMeta) throws(ScimError) {
        guard let header = request.header("if-match"), header.trimmingCharacters(in: .whitespaces) != "*" else { return }
        let versions = header.split(separator: ",").compactMap { ScimMeta.version(ofETag: String($0)) }
        guard versions.contains(meta.version) else {
            throw ScimError(status: 412, scimType: nil, "the resource is at version \(meta.etag), not \(header)")
        }
    }

    /// A list response of one page of `items`.
    static func list(_ items: [[String: Any]], total: Int, start: Int) -> [String: Any] {
        ["schemas": [ScimSchema.listResponse], "totalResults": total, "startIndex": start,
         "itemsPerPage": items.count, "Resources": items]
    }

    /// `ETag` and, for creations, `Location`.
    static func headers(_ meta: ScimMeta, location: String? = nil) -> [(String, String)] {
        [("ETag", meta.etag)] + (location.map { [("Location", $0)] } ?? [])
    }

    /// The absolute URL of a resource, from the request's Host (SCIM `meta.location`).
    static func location(_ request: HTTPRequest, _ path: String) -> String {
        let host = request.header("host") ?? "localhost"
        return "http://\(host)\(base)/\(path)"
    }
}
