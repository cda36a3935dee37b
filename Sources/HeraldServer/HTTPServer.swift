import CMicroHTTPD
public import Foundation
public import HeraldSupport

/// The HTTP transport: a libmicrohttpd daemon (epoll, internal thread pool) that turns
/// connections into `HTTPRequest`s for one `HTTPHandler` and writes back its answers, which
/// may come later and from any thread. Speaks TLS when the configuration has credentials.
///
/// Owns the listening socket and the `ServingDaemon`s on it. Lifecycle: `init` → `start()` →
/// (`replaceTLS(with:)` any number of times) → `stop(drainTimeout:)`; a stopped server is not
/// restarted (make a new one). Never call `stop` from a signal handler (SYSLIBS.md): call it
/// from the thread that handles SIGTERM.
public final class HTTPServer: @unchecked Sendable {
    /// After the drain deadline, how long requests that were cut short with 503 get to have
    /// that answer written before `MHD_stop_daemon` closes their connections.
    public static let finalAnswerGrace: TimeInterval = 0.25
    /// How often `stop` looks at the in-flight count while draining: short against a typical
    /// request (~1 ms) so the exit is prompt, long enough not to spin a core.
    static let drainPollInterval: TimeInterval = 0.005
    /// How often a retired daemon's connections are counted: it has seconds to finish, so
    /// a slower poll costs nothing and keeps its thread asleep.
    static let retirePollInterval: TimeInterval = 0.05
    /// Beyond the connection timeout, how long a retired daemon waits for its last
    /// connection: idle keep-alive connections are closed by MHD after the timeout, so by
    /// then only a request still waiting for its handler can be left (it gets 503).
    static let retireMargin: TimeInterval = 1

    private enum State {
        case idle
        case running(socket: ListeningSocket, current: ServingDaemon)
        case stopped
    }

    private let configuration: HTTPServerConfiguration
    private let handler: HTTPHandler
    private let logger: Logger
    private let metrics: HTTPMetrics
    private let lock = NSLock()
    private var state = State.idle
    /// Daemons replaced by `replaceTLS` that are finishing their connections.
    private var retiring: [ServingDaemon] = []
    private var port = 0

    public init(configuration: HTTPServerConfiguration, handler: HTTPHandler,
                logger: Logger, metrics: MetricsRegistry) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.metrics = HTTPMetrics(registry: metrics)
    }

    deinit {
        stop(drainTimeout: 0)
    }

    /// The TCP port actually listened on (the kernel's choice when configured with port 0);
    /// 0 before `start()`.
    public var boundPort: Int { lock.withLock { port } }

    /// Connections MHD holds right now (all workers, retired daemons included), counting
    /// idle keep-alive ones.
    public var openConnections: Int {
        let daemons: [ServingDaemon] = lock.withLock {
            guard case .running(_, let current) = state else { return [] }
            return [current] + retiring
        }
        return daemons.reduce(0) { $0 + $1.connections }
    }

    /// Daemons replaced by a TLS reload that still finish their connections.
    public var retiringListeners: Int { lock.withLock { retiring.count } }

    /// Binds (or adopts) the listening socket and starts the MHD worker threads.
    public func start() throws(HTTPServerError) {
        try configuration.validate()
        if let tls = configuration.tls {
            do { try tls.check() } catch { throw HTTPServerError(.daemonStartFailed, error.message) }
        }
        do {
            lock.lock()
            defer { lock.unlock() }
            guard case .idle = state else {
                throw HTTPServerError(.alreadyStarted, "the HTTP server was already started; create a new one")
            }
            let socket = try makeSocket()
            guard let daemon = ServingDaemon.start(on: socket, configuration, tls: configuration.tls, context: makeContext()) else {
                throw HTTPServerError(.daemonStartFailed,
                                      "libmicrohttpd did not start on \(describeListener()); see its log line above")
            }
            port = socket.boundPort() ?? 0
            state = .running(socket: socket, current: daemon)
        }
        logger.info("HTTP server listening", ["address": describeListener(), "port": boundPort,
                                              "threads": configuration.threadPoolSize, "tls": configuration.tls != nil])
    }

    /// Serves new connections with other TLS credentials (nil: plain HTTP) without closing
    /// the listening socket: a new daemon starts on the same socket, then the old one stops
    /// accepting and, in the background, finishes what it has — its in-flight requests get
    /// their answers (with `Connection: close`), idle keep-alive connections time out —
    /// before it is stopped. No connection is refused at any moment. If the new daemon
    /// cannot start, the old one keeps serving and this throws. Each daemon enforces
    /// `connectionLimit` on its own, so while the old one finishes (at most the connection
    /// timeout plus `retireMargin`) the two may hold up to twice that many connections.
    public func replaceTLS(with tls: TLSCredentials?) throws(HTTPServerError) {
        if let tls {
            // GnuTLS's complaint as the error, before any listener is touched.
            do { try tls.check() } catch { throw HTTPServerError(.daemonStartFailed, "\(error.message); the previous listener keeps serving") }
        }
        let old: ServingDaemon
        do {
            lock.lock()
            defer { lock.unlock() }
            guard case .running(let socket, let current) = state else {
                throw HTTPServerError(.notRunning, "the HTTP server is not running; nothing to reload")
            }
            guard let fresh = ServingDaemon.start(on: socket, configuration, tls: tls, context: makeContext()) else {
                throw HTTPServerError(.daemonStartFailed,
                                      "libmicrohttpd did not start a listener with the new TLS settings; see its log line above; the previous one keeps serving")
            }
            state = .running(socket: socket, current: fresh)
            old = current
            retiring.append(old)
        }
        old.quiesce()
        logger.info("HTTP listener replaced; the previous one finishes its connections",
                    ["tls": tls != nil, "previous.connections": old.connections])
        let deadline = Date().addingTimeInterval(TimeInterval(configuration.connectionTimeoutSeconds) + Self.retireMargin)
        Thread.detachNewThread { [self] in retire(old, deadline: deadline) }
    }

    /// Graceful stop: stop accepting, let in-flight requests finish until `drainTimeout`,
    /// answer the ones still waiting for their handler 503, then stop MHD. Returns within
    /// `drainTimeout + finalAnswerGrace` (plus joining MHD's threads). Safe to call twice.
    public func stop(drainTimeout: TimeInterval) {
        let running: (ListeningSocket, [ServingDaemon])? = lock.withLock {
            guard case .running(let socket, let current) = state else { return nil }
            state = .stopped
            return (socket, [current] + retiring)
        }
        guard let (socket, daemons) = running else { return }
        let deadline = Date().addingTimeInterval(max(0, drainTimeout))

        for daemon in daemons { daemon.quiesce() }
        socket.stopAccepting()
        let drained = Self.wait(until: deadline) { daemons.allSatisfy { $0.inFlight.count == 0 } }
        let cutShort = daemons.reduce(0) { $0 + $1.finish(cutShortAnswer: TransportErrors.shuttingDown, grace: Self.finalAnswerGrace) }
        withExtendedLifetime(socket) {}     // closed only now that MHD has let go of it
        logger.info("HTTP server stopped", ["drained": drained, "cut_short": cutShort])
    }

    // MARK: - Private

    /// A retired daemon: waits (bounded) until its connections are gone, then stops it.
    private func retire(_ daemon: ServingDaemon, deadline: Date) {
        let emptied = Self.wait(until: deadline, every: Self.retirePollInterval) { daemon.connections == 0 }
        let cutShort = daemon.finish(cutShortAnswer: TransportErrors.shuttingDown, grace: Self.finalAnswerGrace)
        lock.withLock { retiring.removeAll { $0 === daemon } }
        logger.info("previous HTTP listener stopped", ["emptied": emptied, "cut_short": cutShort])
    }

    private func makeContext() -> ServerContext {
        ServerContext(handler: handler, logger: logger, metrics: metrics, maxBodyBytes: configuration.maxRequestBodyBytes)
    }

    private func makeSocket() throws(HTTPServerError) -> ListeningSocket {
        switch configuration.listener {
        case .address(let address): try ListeningSocket(binding: address)
        case .inheritedSocket(let fd): ListeningSocket(inherited: fd)
        }
    }

    private func describeListener() -> String {
        switch configuration.listener {
        case .address(let address): address.description
        case .inheritedSocket(let fd): "inherited socket \(fd)"
        }
    }

    /// Polls `condition` until it holds or `deadline` passes; returns whether it held.
    static func wait(until deadline: Date, every interval: TimeInterval = drainPollInterval, _ condition: () -> Bool) -> Bool {
        while !condition() {
            guard Date() < deadline else { return false }
            Thread.sleep(forTimeInterval: interval)
        }
        return true
    }
}
