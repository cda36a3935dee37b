import CMicroHTTPD
public import Foundation
public import HeraldSupport

/// The HTTP transport: a libmicrohttpd daemon (epoll, internal thread pool) that turns
/// connections into `HTTPRequest`s for one `HTTPHandler` and writes back its answers, which
/// may come later and from any thread.
///
/// Owns the `MHD_Daemon` handle and the listening socket. Lifecycle: `init` → `start()` →
/// `stop(drainTimeout:)`; a stopped server is not restarted (make a new one). Never call
/// `stop` from a signal handler (SYSLIBS.md): call it from the thread that handles SIGTERM.
public final class HTTPServer: @unchecked Sendable {
    /// After the drain deadline, how long requests that were cut short with 503 get to have
    /// that answer written before `MHD_stop_daemon` closes their connections.
    public static let finalAnswerGrace: TimeInterval = 0.25
    /// How often `stop` looks at the in-flight count while draining: short against a typical
    /// request (~1 ms) so the exit is prompt, long enough not to spin a core.
    static let drainPollInterval: TimeInterval = 0.005

    private enum State {
        case idle
        case running(daemon: OpaquePointer, socket: ListeningSocket, context: Unmanaged<ServerContext>)
        case stopped
    }

    private let configuration: HTTPServerConfiguration
    private let handler: HTTPHandler
    private let logger: Logger
    private let metrics: HTTPMetrics
    private let lock = NSLock()
    private var state = State.idle
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

    /// Connections MHD holds right now (all workers), including idle keep-alive ones.
    public var openConnections: Int {
        lock.withLock {
            guard case .running(let daemon, _, _) = state else { return 0 }
            return Int(herald_mhd_current_connections(daemon))
        }
    }

    /// Binds (or adopts) the listening socket and starts the MHD worker threads.
    public func start() throws(HTTPServerError) {
        try configuration.validate()
        do {
            lock.lock()
            defer { lock.unlock() }
            guard case .idle = state else {
                throw HTTPServerError(.alreadyStarted, "the HTTP server was already started; create a new one")
            }
            let socket = try makeSocket()
            let context = Unmanaged.passRetained(ServerContext(   // released in `stop(drainTimeout:)`, or below if MHD fails to start
                handler: handler, logger: logger, metrics: metrics,
                maxBodyBytes: configuration.maxRequestBodyBytes))
            guard let daemon = startDaemon(socket: socket, context: context) else {
                context.release()
                throw HTTPServerError(.daemonStartFailed,
                                      "libmicrohttpd did not start on \(describeListener()); see its log line above")
            }
            port = socket.boundPort() ?? 0
            state = .running(daemon: daemon, socket: socket, context: context)
        }
        logger.info("HTTP server listening", ["address": describeListener(), "port": boundPort,
                                              "threads": configuration.threadPoolSize])
    }

    /// Graceful stop: stop accepting, let in-flight requests finish until `drainTimeout`,
    /// answer the ones still waiting for their handler 503, then stop MHD. Returns within
    /// `drainTimeout + finalAnswerGrace` (plus joining MHD's threads). Safe to call twice.
    public func stop(drainTimeout: TimeInterval) {
        let running: (OpaquePointer, ListeningSocket, Unmanaged<ServerContext>)? = lock.withLock {
            guard case .running(let daemon, let socket, let context) = state else { return nil }
            state = .stopped
            return (daemon, socket, context)
        }
        guard let (daemon, socket, context) = running else { return }
        let inFlight = context.takeUnretainedValue().inFlight
        let deadline = Date().addingTimeInterval(max(0, drainTimeout))

        inFlight.startDraining()
        _ = MHD_quiesce_daemon(daemon)      // MHD stops polling the socket; it stays ours
        socket.stopAccepting()
        let drained = Self.wait(until: deadline) { inFlight.count == 0 }
        let cutShort = inFlight.answerAllWaiting(with: TransportErrors.shuttingDown)
        _ = Self.wait(until: Date().addingTimeInterval(Self.finalAnswerGrace)) { inFlight.count == 0 }
        MHD_stop_daemon(daemon)             // no connection is suspended any more
        context.release()                   // the retain from `start`
        withExtendedLifetime(socket) {}     // closed only now that MHD has let go of it
        logger.info("HTTP server stopped", ["drained": drained, "cut_short": cutShort])
    }

    // MARK: - Private

    private func makeSocket() throws(HTTPServerError) -> ListeningSocket {
        switch configuration.listener {
        case .address(let address): try ListeningSocket(binding: address)
        case .inheritedSocket(let fd): ListeningSocket(inherited: fd)
        }
    }

    /// MHD flags: epoll with internal threads; suspend/resume for late answers; ITC so a
    /// resume wakes the worker at once and `MHD_quiesce_daemon` works; errors to our log.
    private func startDaemon(socket: ListeningSocket, context: Unmanaged<ServerContext>) -> OpaquePointer? {
        let flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_ITC.rawValue | MHD_USE_ERROR_LOG.rawValue
        return herald_mhd_start_daemon(
            flags, socket.fileDescriptor,
            UInt32(configuration.connectionLimit), configuration.connectionMemoryLimitBytes,
            UInt32(configuration.connectionTimeoutSeconds), UInt32(configuration.threadPoolSize),
            MHDCallbacks.access, MHDCallbacks.completed, MHDCallbacks.log, context.toOpaque())
    }

    private func describeListener() -> String {
        switch configuration.listener {
        case .address(let address): address.description
        case .inheritedSocket(let fd): "inherited socket \(fd)"
        }
    }

    /// Polls `condition` until it holds or `deadline` passes; returns whether it held.
    private static func wait(until deadline: Date, _ condition: () -> Bool) -> Bool {
        while !condition() {
            guard Date() < deadline else { return false }
            Thread.sleep(forTimeInterval: drainPollInterval)
        }
        return true
    }
}
