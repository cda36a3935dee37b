public import Foundation

/// Signed-in people of the operator UI: a random session id in an `HttpOnly;
/// SameSite=Strict` cookie names the API token they signed in with (by id) and its
/// scopes. Kept in memory — a restart signs everyone out, and nothing secret is stored
/// on disk or in the cookie.
public final class SessionTable: @unchecked Sendable {
    /// A signed-in person.
    public struct Session: Sendable, Equatable {
        public let id: String
        /// The id of the API token used to sign in: actions are audited as `operator:<id>`.
        public let tokenID: String
        public let scopes: Set<String>
        public let expiresAt: Date
    }

    /// How long a session lasts: a working day, then sign in again.
    public static let lifetime: TimeInterval = 8 * 3600
    /// Most sessions at once; past it the oldest is dropped (bounds memory against a
    /// script that signs in in a loop).
    public static let maxSessions = 1_000
    /// The cookie's name.
    public static let cookie = "herald_session"

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]

    public init() {}

    /// A new session for a token with `scopes`, valid `lifetime` from `now`.
    public func create(tokenID: String, scopes: Set<String>, now: Date) -> Session {
        let id = Data(FormToken.randomKey()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let session = Session(id: id, tokenID: tokenID, scopes: scopes, expiresAt: now.addingTimeInterval(Self.lifetime))
        lock.withLock {
            sessions = sessions.filter { $0.value.expiresAt > now }
            if sessions.count >= Self.maxSessions, let oldest = sessions.values.min(by: { $0.expiresAt < $1.expiresAt }) {
                sessions[oldest.id] = nil
            }
            sessions[id] = session
        }
        return session
    }

    /// The live session named by the request's cookie, if any.
    public func session(cookieHeader: String?, now: Date) -> Session? {
        guard let id = Self.cookieValue(cookieHeader, name: Self.cookie) else { return nil }
        return lock.withLock {
            guard let session = sessions[id] else { return nil }
            guard session.expiresAt > now else { sessions[id] = nil; return nil }
            return session
        }
    }

    public func remove(_ id: String) { lock.withLock { sessions[id] = nil } }

    /// `Set-Cookie` for a new session: only sent to `/ui`, never readable by script,
    /// never sent on cross-site requests, and only over TLS when Herald is reached by https.
    public static func setCookie(_ session: Session, secure: Bool) -> String {
        "\(cookie)=\(session.id); Path=/ui; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that removes the session cookie (sign-out).
    public static func clearCookie(secure: Bool) -> String {
        "\(cookie)=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The value of cookie `name` in a `Cookie:` header (`a=1; b=2`).
    static func cookieValue(_ header: String?, name: String) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]) }
        }
        return nil
    }
}
