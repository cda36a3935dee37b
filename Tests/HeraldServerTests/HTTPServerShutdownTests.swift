import Dispatch
import Foundation
import Glibc
import HeraldServer
import HeraldSupport
import HeraldTestKit
import Testing

/// Graceful stop: in-flight requests finish, waiting ones are answered, the deadline holds.
@Suite struct HTTPServerShutdownTests {
    private func makeServer(_ handler: HTTPHandler) throws -> HTTPServer {
        let server = HTTPServer(configuration: try HTTPServerConfiguration(listen: "127.0.0.1:0"), handler: handler,
                                logger: LogCollector().logger, metrics: MetricsRegistry())
        try server.start()
        return server
    }

    /// A request whose handler never answers is suspended; stop() answers it 503 (or closes
    /// it) and returns within the drain deadline plus the final-answer grace. A responder
    /// called after the stop does nothing.
    @Test func stopAnswersASuspendedRequestWithinTheDeadline() throws {
        let pending = Locked<HTTPResponder?>(nil)
        let server = try makeServer(ClosureHandler { _, respond in pending.withValue { $0 = respond } })
        let connection = try RawHTTPConnection(port: server.boundPort)
        connection.send(getRequest("/never"))
        #expect(eventually { pending.current != nil })

        let drainTimeout = 0.3
        let started = Date()
        server.stop(drainTimeout: drainTimeout)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < drainTimeout + HTTPServer.finalAnswerGrace + 1.0)
        #expect(elapsed >= drainTimeout * 0.9)   // it did wait for the handler first

        if let response = try? connection.readResponse(timeout: 2) {
            #expect(response.status == 503)
            #expect(response.headers["retry-after"] == "1")
            #expect(response.errorBody?.error == "shutting_down")
        } else {
            #expect(connection.waitForClose(timeout: 1))
        }
        pending.current?(.text("after stop"))   // must not crash or touch freed memory
    }

    /// A request answered during the drain window gets its real answer (with
    /// `Connection: close`), and stop() returns as soon as it is out, long before the deadline.
    @Test func stopLetsAnInFlightRequestFinish() throws {
        let arrived = Locked(false)
        let server = try makeServer(ClosureHandler { _, respond in
            arrived.withValue { $0 = true }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(150)) {
                respond(.text(status: 202, "committed"))
            }
        })
        let connection = try RawHTTPConnection(port: server.boundPort)
        connection.send(getRequest("/v1/events"))
        #expect(eventually { arrived.current })

        let started = Date()
        server.stop(drainTimeout: 5)
        #expect(Date().timeIntervalSince(started) < 2)
        let response = try connection.readResponse(timeout: 2)
        #expect(response.status == 202)
        #expect(response.headers["connection"]?.lowercased() == "close")
        #expect(String(decoding: response.body, as: UTF8.self) == "committed")
    }

    /// After stop() nothing listens on the port any more.
    @Test func stopReleasesThePort() throws {
        let server = try makeServer(ClosureHandler.fixed(.text("x")))
        let port = server.boundPort
        server.stop(drainTimeout: 1)
        #expect(throws: (any Error).self) { _ = try RawHTTPConnection(port: port) }
        server.stop(drainTimeout: 1)   // a second stop is a no-op
    }
}

/// systemd socket activation: the server adopts a listening descriptor and, when stopped,
/// closes its copy without shutting the socket down, so systemd's copy still accepts.
@Suite struct InheritedSocketTests {
    @Test func servesAnInheritedSocketAndLeavesItListening() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 16) == 0)
        let systemdCopy = dup(fd)   // what systemd keeps
        defer { close(systemdCopy) }

        let server = HTTPServer(configuration: HTTPServerConfiguration(listener: .inheritedSocket(fileDescriptor: fd)),
                                handler: ClosureHandler.fixed(.text("activated")),
                                logger: LogCollector().logger, metrics: MetricsRegistry())
        try server.start()
        let port = server.boundPort
        #expect(port > 0)
        let connection = try RawHTTPConnection(port: port)
        connection.send(getRequest("/"))
        #expect(String(decoding: try connection.readResponse().body, as: UTF8.self) == "activated")
        server.stop(drainTimeout: 1)

        _ = try RawHTTPConnection(port: port)        // the socket itself still listens
    }
}
