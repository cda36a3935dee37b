public import Foundation
public import HeraldServer

/// An `application/x-www-form-urlencoded` body (what an HTML form posts), decoded with
/// Foundation's percent-decoding; `+` means a space in this format (WHATWG URL §5.1),
/// which percent-decoding does not know, so it is replaced first.
public struct FormBody: Sendable, Equatable {
    /// Longest form body accepted: the forms carry an ack token and a few short fields.
    public static let maxBytes = 32 * 1024

    /// Field → value; a repeated field keeps its first value.
    public let fields: [String: String]

    public subscript(_ name: String) -> String? { fields[name] }

    /// Why a body is not a form: the page answers 415 or 400.
    public enum Refusal: Error, Equatable {
        case notAForm, tooLarge, malformed
    }

    public init(fields: [String: String]) { self.fields = fields }

    /// Decodes the body of `request`, refusing other content types, oversized bodies and
    /// bytes that are not percent-encoded UTF-8.
    public init(_ request: HTTPRequest) throws(Refusal) {
        let type = request.header("content-type")?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else { throw .notAForm }
        guard request.body.count <= Self.maxBytes else { throw .tooLarge }
        guard let text = String(data: request.body, encoding: .utf8) else { throw .malformed }
        try self.init(encoded: text)
    }

    /// Decodes `a=1&b=x+y`: split on `&` and the first `=`, then Foundation's
    /// `removingPercentEncoding` per part (nil, so refused, for `%zz` or bytes that are
    /// not UTF-8). Not `URLComponents.percentEncodedQuery`: it traps on such input.
    public init(encoded text: String) throws(Refusal) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = parts.count > 1 ? Self.decode(parts[1]) : "" else {
                throw .malformed
            }
            if fields[name] == nil { fields[name] = value }
        }
        self.fields = fields
    }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
