import Foundation
import HeraldCore
import HeraldDelivery
import HeraldServer

/// API bearer tokens as SHA-256 hashes with their scopes.
///
/// A presented token is hashed and compared with *every* known hash in constant time,
/// so neither the comparison nor the loop's length tells an attacker how close a guess
/// was. Tokens themselves are never kept or logged.
struct TokenTable: TokenVerifier {
    private struct Entry {
        let id: String
        let hash: [UInt8]
        let scopes: Set<String>
    }

    private let entries: [Entry]

    var isEmpty: Bool { entries.isEmpty }

    /// No tokens: every authenticated request is refused.
    static let empty = TokenTable(entries: [])

    private init(entries: [Entry]) { self.entries = entries }

    /// Reads every token's secret; throws every one that could not be read at once.
    init(_ tokens: [TokenDefinition], reader: SecretReader) throws(SecretProblems) {
        var entries: [Entry] = []
        var problems: [String] = []
        for token in tokens {
            let hash: [UInt8]
            if let hex = token.sha256 {
                hash = TokenTable.bytes(hex: hex)
            } else if let source = token.source {
                do {
                    hash = Digest.sha256(Array(try reader.read(source).utf8))
                } catch {
                    problems.append("token '\(token.id)': \(error.message)")
                    continue
                }
            } else {
                continue
            }
            entries.append(Entry(id: token.id, hash: hash, scopes: Set(token.scopes.map(\.rawValue))))
        }
        guard problems.isEmpty else { throw SecretProblems(lines: problems) }
        self.entries = entries
    }

    func scopes(for token: String) -> Set<String>? {
        let presented = Digest.sha256(Array(token.utf8))
        var found: Set<String>?
        for entry in entries where Digest.constantTimeEquals(entry.hash, presented) {
            found = (found ?? []).union(entry.scopes)
        }
        return found
    }

    /// The id of the configured token `token` is, preferring one with `scope` (the same
    /// secret may be configured under two ids); nil for an unknown token. Used to name
    /// the operator who acted on an episode with an admin token.
    func tokenID(for token: String, preferring scope: String) -> String? {
        let presented = Digest.sha256(Array(token.utf8))
        var found: (id: String, hasScope: Bool)?
        for entry in entries where Digest.constantTimeEquals(entry.hash, presented) {
            if found == nil || (found?.hasScope == false && entry.scopes.contains(scope)) {
                found = (entry.id, entry.scopes.contains(scope))
            }
        }
        return found?.id
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
