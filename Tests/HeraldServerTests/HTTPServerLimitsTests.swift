import Foundation
import HeraldServer
import HeraldSupport
import HeraldTestKit
import Testing

/// Connection-level limits and listening: timeouts, connection cap, IPv6, port conflicts.
@Suite struct HTTPServerLimitsTests {
    /// A client that connects and says nothing is cut off after the connection timeout.
    @Test func silentConnectionIsClosedAfterTheTimeout() async throws {
        let handler = ClosureHandler { _, respond in respond(.text("ok")) }
        try await withServer(handler, configure: { $0.connectionTimeoutSeconds = 1 }) { server in
            let connection = try RawHTTPConnection(port: server.boundPort)
            let started = Date()
            #expect(connection.waitForClose(timeout: 5))
            #expect(Date().timeIntervalSince(started) >= 0.5)   // not closed at once: it was the timeout
        }
    }

    /// With the limit reached MHD stops accepting (in 0.9.75 it takes the listening socket
    /// out of its poll set rather than accept-and-close), so a further connection waits in the
    /// kernel backlog unserved; it is served once an admitted connection goes away. One
    /// thread, because MHD splits the limit across its pool threads (limit / threads each).
    @Test func connectionLimitIsEnforced() async throws {
        let handler = ClosureHandler { request, respond in respond(.text("ok \(request.path)")) }
        try await withServer(handler, configure: { $0.connectionLimit = 2; $0.threadPoolSize = 1 }) { server in
            var first: RawHTTPConnection? = try RawHTTPConnection(port: server.boundPort)
            let second = try RawHTTPConnection(port: server.boundPort)
            first?.send(getRequest("/a"))
            second.send(getRequest("/b"))
            #expect(try first?.readResponse().status == 200)   // both admitted and kept alive
            #expect(try second.readResponse().status == 200)
            #expect(server.openConnections == 2)

            let third = try RawHTTPConnection(port: server.boundPort)   // completes in the kernel backlog
            third.send(getRequest("/c"))
            #expect(throws: RawHTTPConnection.Failure.self) { try third.readResponse(timeout: 1) }
            #expect(server.openConnections == 2)

            first = nil   // frees a slot
            let served = try third.readResponse(timeout: 5)
            #expect(String(decoding: served.body, as: UTF8.self) == "ok /c")
        }
    }

    /// The server listens on the IPv6 loopback and reports the peer as `::1`.
    @Test func listensOnIPv6Loopback() async throws {
        let seenPeer = Locked<String?>(nil)
        let handler = ClosureHandler { request, respond in
            seenPeer.withValue { $0 = request.remoteAddress }
            respond(.text("v6"))
        }
        let server = HTTPServer(configuration: try HTTPServerConfiguration(listen: "[::1]:0"), handler: handler,
                                logger: LogCollector().logger, metrics: MetricsRegistry())
        let startError: HTTPServerError?
        do { try server.start(); startError = nil } catch { startError = error }
        if let startError {
            // Only a host without ::1 (EADDRNOTAVAIL, EAFNOSUPPORT) is a reason to skip.
            guard startError.code == .bindFailed || startError.code == .socketFailed else { throw startError }
            try Test.cancel("IPv6 loopback ::1 is unavailable here: \(startError)")
        }
        defer { server.stop(drainTimeout: 1) }
        let connection = try RawHTTPConnection(port: server.boundPort, host: "::1")
        connection.send(getRequest("/"))
        #expect(String(decoding: try connection.readResponse().body, as: UTF8.self) == "v6")
        #expect(seenPeer.current == "::1")
    }

    /// A second server on a port in use fails with a typed error, not a crash.
    @Test func portInUseIsATypedError() async throws {
        let handler = ClosureHandler { _, respond in respond(.text("ok")) }
        try await withServer(handler) { first in
            let port = first.boundPort
            let second = HTTPServer(configuration: try HTTPServerConfiguration(listen: "127.0.0.1:\(port)"),
                                    handler: handler, logger: LogCollector().logger, metrics: MetricsRegistry())
            #expect(throws: HTTPServerError(.addressInUse, "address 127.0.0.1:\(port) is already in use")) {
                try second.start()
            }
            #expect(second.boundPort == 0)
            second.stop(drainTimeout: 0)   // harmless on a server that never started
        }
    }

    /// Out-of-range limits are refused before anything is bound, naming field and value.
    @Test(arguments: [
        // Zero threads cannot serve anything.
        ("threadPoolSize", 0, "threadPoolSize 0 is outside 1...64"),
        // Zero would mean "never time out" to MHD.
        ("connectionTimeoutSeconds", 0, "connectionTimeoutSeconds 0 is outside 1...3600"),
        // Too small for request headers.
        ("connectionMemoryLimitBytes", 1024, "connectionMemoryLimitBytes 1024 is outside 4096...16777216"),
        ("connectionLimit", 0, "connectionLimit 0 is outside 1...65536"),
    ])
    func invalidLimitsAreRefused(field: String, value: Int, message: String) throws {
        var configuration = try HTTPServerConfiguration(listen: "127.0.0.1:0")
        switch field {
        case "threadPoolSize": configuration.threadPoolSize = value
        case "connectionTimeoutSeconds": configuration.connectionTimeoutSeconds = value
        case "connectionMemoryLimitBytes": configuration.connectionMemoryLimitBytes = value
        default: configuration.connectionLimit = value
        }
        let server = HTTPServer(configuration: configuration, handler: ClosureHandler.fixed(.text("x")),
                                logger: LogCollector().logger, metrics: MetricsRegistry())
        #expect(throws: HTTPServerError(.invalidConfiguration, message)) { try server.start() }
    }

    /// Starting twice is refused with a typed error.
    @Test func startingTwiceIsRefused() async throws {
        try await withServer(ClosureHandler.fixed(.text("x"))) { server in
            #expect(throws: HTTPServerError.self) { try server.start() }
        }
    }
}
