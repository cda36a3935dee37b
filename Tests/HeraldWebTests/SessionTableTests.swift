import Foundation
import Testing
@testable import HeraldWeb

/// Operator UI sessions: found by the cookie, gone after their lifetime or sign-out,
/// bounded in number, and a cookie the browser keeps to Herald's own pages.
struct SessionTableTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSessionIsFoundByItsCookieUntilItExpires() {
        let table = SessionTable()
        let session = table.create(tokenID: "w", scopes: ["read", "admin"], now: Self.start)
        let cookie = "other=1; \(SessionTable.cookie)=\(session.id); x=y"
        #expect(table.session(cookieHeader: cookie, now: Self.start.addingTimeInterval(60)) == session)
        #expect(table.session(cookieHeader: cookie, now: Self.start.addingTimeInterval(SessionTable.lifetime - 1))?.tokenID == "w")
        #expect(table.session(cookieHeader: cookie, now: Self.start.addingTimeInterval(SessionTable.lifetime)) == nil)
        // Once expired it is forgotten, even if the clock were to go back.
        #expect(table.session(cookieHeader: cookie, now: Self.start) == nil)
    }

    @Test func unknownMissingAndRemovedSessionsAreNotFound() {
        let table = SessionTable()
        let session = table.create(tokenID: "a", scopes: ["read"], now: Self.start)
        #expect(table.session(cookieHeader: nil, now: Self.start) == nil)
        #expect(table.session(cookieHeader: "\(SessionTable.cookie)=nope", now: Self.start) == nil)
        #expect(table.session(cookieHeader: "x\(SessionTable.cookie)=\(session.id)", now: Self.start) == nil)
        table.remove(session.id)
        #expect(table.session(cookieHeader: "\(SessionTable.cookie)=\(session.id)", now: Self.start) == nil)
    }

    /// Past `maxSessions` the oldest is dropped, so signing in in a loop cannot grow memory.
    @Test func theOldestSessionMakesRoomPastTheLimit() {
        let table = SessionTable()
        let first = table.create(tokenID: "first", scopes: ["read"], now: Self.start)
        for i in 1..<SessionTable.maxSessions {
            _ = table.create(tokenID: "t\(i)", scopes: ["read"], now: Self.start.addingTimeInterval(Double(i)))
        }
        let cookie = { (s: SessionTable.Session) in "\(SessionTable.cookie)=\(s.id)" }
        let now = Self.start.addingTimeInterval(Double(SessionTable.maxSessions))
        #expect(table.session(cookieHeader: cookie(first), now: now) != nil)
        let newest = table.create(tokenID: "newest", scopes: ["read"], now: now)
        #expect(table.session(cookieHeader: cookie(first), now: now) == nil)
        #expect(table.session(cookieHeader: cookie(newest), now: now) != nil)
    }

    @Test func theCookieIsHttpOnlyStrictScopedToTheUIAndSecureOverTLS() {
        let session = SessionTable().create(tokenID: "w", scopes: [], now: Self.start)
        #expect(SessionTable.setCookie(session, secure: false) == "herald_session=\(session.id); Path=/ui; Max-Age=28800; HttpOnly; SameSite=Strict")
        #expect(SessionTable.setCookie(session, secure: true).hasSuffix("; HttpOnly; SameSite=Strict; Secure"))
        #expect(SessionTable.clearCookie(secure: false) == "herald_session=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict")
        // 32 random bytes, URL-safe base64 without padding.
        #expect(session.id.count == 43 && session.id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }
}
