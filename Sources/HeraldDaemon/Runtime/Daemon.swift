import Foundation
import HeraldCore
import HeraldPostgres
import HeraldServer
import HeraldStore
import HeraldSupport
import HeraldWeb
import HeraldDelivery

/// `herald serve`: wires the stages together and runs them until SIGTERM/SIGINT.
///
/// Start order: config (with secrets) → store (state loaded) → evaluation → delivery
/// engine → HTTP listener; readiness is reported only once all are up. Stop order is
/// the reverse, so every request answered 202 has its effects committed and every
/// delivery not finished stays in the outbox for the next start.
public final class Daemon: @unchecked Sendable {
    /// Bound on waiting for in-flight HTTP requests at shutdown.
    static let httpDrainSeconds: TimeInterval = 5
    /// Bound on waiting for in-flight webhooks at shutdown; the rest stay in the outbox.
    static let deliveryDrainSeconds: TimeInterval = 5
    /// How often event ids older than the idempotency window are forgotten.
    static let pruneInterval: DispatchTimeInterval = .seconds(60)
    /// How often STATUS= is refreshed for `systemctl status`.
    static let statusInterval: DispatchTimeInterval = .seconds(10)

    let options: DaemonOptions
    let logger: Logger
    let metrics = MetricsRegistry()
    private let holder: ConfigHolder
    /// The base of ack links: `server.publicURL`, or derived once the port is bound.
    private let publicURL = PublicURL()
    /// Held for the daemon's life: one daemon per state directory.
    private let stateLock: StateDirectoryLock
    private let scim: ScimService
    private let store: any StateStore
    private let evaluation: EvaluationLoop
    private let engine: DeliveryEngine
    private let retention: RetentionLoop
    private let agreement: ConfigAgreement
    /// SCIM changes made through other instances (shared stores only).
    private let directoryWatch: SharedDirectoryWatch?
    /// Early wake-ups for both polls above (PostgreSQL's LISTEN/NOTIFY); nil for SQLite.
    private let listener: PostgresListener?
    private let server: HTTPServer
    /// The listening socket systemd passed, if any.
    private let inheritedSocket: Int32?
    private let reloadQueue = DispatchQueue(label: "herald.reload")
    private let notifier: SystemdNotifier
    private var watchdog: Watchdog?
    /// The last reload's outcome, for STATUS=.
    private var reloadNote = ""
    /// Timers must be held: only the kernel refers to them otherwise.
    private var sources: [DispatchSourceProtocol] = []
    private var stopping = false

    /// Builds every stage; throws a message naming what could not start.
    init(options: DaemonOptions, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DaemonStartError) {
        self.options = options
        self.logger = logger
        self.notifier = SystemdNotifier(environment: environment, logger: logger)
        let runtime: RuntimeConfig
        do {
            runtime = try RuntimeConfig.load(path: options.configPath)
        } catch {
            throw DaemonStartError(code: .config, lines: error.lines)
        }
        let stateDirectory = options.resolvedStateDirectory()
        let config: HeraldConfig
        do {
            stateLock = try StateDirectoryLock(directory: stateDirectory)
        } catch {
            throw DaemonStartError(code: .stateLocked, lines: [error.message])
        }
        do {
            store = try Daemon.openStore(runtime, stateDirectory: stateDirectory, metrics: metrics)
            // SCIM-provisioned users and groups join the config's directory before anything runs.
            let scimDirectory = try ScimService.load(from: store, settings: runtime.config.document.scim, logger: logger)
            let merged = ScimService.merged(runtime, with: scimDirectory, logger: logger)
            holder = ConfigHolder(merged)
            scim = ScimService(base: runtime, scim: scimDirectory, store: store, holder: holder, metrics: metrics, logger: logger)
            config = merged.config
            let feedCursor = try store.ruleStateCursor()
            let state = try EvaluationLoop.loadState(from: store, config: config, now: Date())
            evaluation = EvaluationLoop(config: config, ackLinks: runtime.ackLinks, publicURL: publicURL, state: state, feedCursor: feedCursor,
                                        store: store, metrics: metrics, logger: logger)
            evaluation.backlog.seed(try store.outboxDepthByTarget())
        } catch {
            let place = runtime.databaseURL == nil ? "the state store in '\(stateDirectory)'" : "the PostgreSQL store (store.postgresql)"
            throw DaemonStartError(code: .store, lines: ["cannot open \(place): \(error.message) (\(error.code.rawValue))"])
        }
        do {
            engine = try DeliveryEngine(store: store, holder: holder, publicURL: publicURL, backlog: evaluation.backlog,
                                        metrics: metrics, logger: logger, claimLease: Daemon.claimLease(of: store))
        } catch {
            throw DaemonStartError(code: .delivery, lines: ["cannot start webhook delivery: \(error)"])
        }
        retention = RetentionLoop(store: store, holder: holder, metrics: metrics, logger: logger)
        agreement = ConfigAgreement(store: store, holder: holder, metrics: metrics, logger: logger)
        directoryWatch = store.isShared ? SharedDirectoryWatch(store: store, scim: scim, logger: logger) : nil
        listener = (store as? PostgresStore).map { [evaluation, directoryWatch] shared in
            shared.makeListener { change in
                switch change {
                case .silences: evaluation.reloadSilences()
                case .directory: directoryWatch?.poke()
                }
            }
        }
        let routes = ApiRoutes(evaluation: evaluation, store: store, holder: holder, scim: scim, metrics: metrics, logger: logger,
                               configAgreement: agreement)
        scim.onDirectoryChanged = { [evaluation] next in evaluation.applyDirectory(next.config, ackLinks: next.ackLinks) }
        var router = routes.router()
        // Pages for people beside the API: the acknowledge page (and its stylesheet).
        let forms = FormToken(key: FormToken.randomKey()) { message, key in HMACSHA256.authenticate(message, key: key) }
        AckPageRoutes(evaluation: evaluation, holder: holder, forms: forms, metrics: metrics).register(on: &router)
        OperatorRoutes(evaluation: evaluation, store: store, holder: holder, forms: forms, sessions: SessionTable(),
                       publicURL: publicURL, logger: logger).register(on: &router)
        do {
            let inherited = try Daemon.activationSocket(environment: environment)
            inheritedSocket = inherited
            server = HTTPServer(configuration: try Daemon.serverConfiguration(config.server, listen: options.listen, inherited: inherited,
                                                                              tls: holder.snapshot.tls),
                                handler: router, logger: logger, metrics: metrics)
        } catch let error as HTTPServerError {
            throw DaemonStartError(code: .listen, lines: ["invalid listen address: \(error.message)"])
        } catch {
            throw DaemonStartError(code: .socketActivation, lines: ["socket activation: \(error)"])
        }
        evaluation.onCommitted = { [engine] rows in engine.submit(rows) }
    }

    /// Which store holds the state and how durable its commits are, for the start line.
    private var storeDescription: String {
        store.isShared ? "postgresql" : "sqlite, synchronous \(holder.snapshot.config.store.synchronous.rawValue)"
    }

    /// The store the config names: PostgreSQL when `store.postgresql` is set (its URL
    /// read from the secret source, never logged), else SQLite in the state directory
    /// with `store.synchronous`.
    static func openStore(_ runtime: RuntimeConfig, stateDirectory: String,
                          metrics: MetricsRegistry) throws(StoreError) -> any StateStore {
        if let url = runtime.databaseURL, let settings = runtime.config.store.postgres {
            return try PostgresStore(url: url, connections: settings.connections, metrics: metrics,
                                     leaseMilliseconds: settings.leaseSeconds * 1000)
        }
        let synchronous: SQLiteStore.Synchronous = runtime.config.store.synchronous == .normal ? .normal : .full
        return try SQLiteStore(directory: URL(fileURLWithPath: stateDirectory), synchronous: synchronous, metrics: metrics)
    }

    /// How long the store's outbox claims last when several instances share it; nil for
    /// a store only this process opens.
    static func claimLease(of store: any StateStore) -> Swift.Duration? {
        (store as? PostgresStore).map { .milliseconds(Int(($0.leaseSeconds * 1000).rounded())) }
    }

    /// The socket systemd passed (herald.socket), if any: then Herald serves on it
    /// instead of binding `server.listen`.
    static func activationSocket(environment: [String: String]) throws -> Int32? {
        let descriptors = try SocketActivation.listenFileDescriptors(environment: environment, unsetEnvironment: true)
        guard let first = descriptors.first else { return nil }
        guard SocketActivation.isListeningStreamSocket(first) else {
            throw SystemdError(.malformedVariable, "LISTEN_FDS passed descriptor \(first), which is not a listening TCP socket")
        }
        return first
    }

    static func serverConfiguration(_ settings: ServerSettings, listen: String?, inherited: Int32? = nil,
                                    tls: TLSCredentials? = nil) throws(HTTPServerError) -> HTTPServerConfiguration {
        var configuration = try HTTPServerConfiguration(listen: listen ?? settings.listen)
        configuration.tls = tls
        if let inherited { configuration.listener = .inheritedSocket(fileDescriptor: inherited) }
        configuration.connectionLimit = settings.maxConnections
        configuration.connectionMemoryLimitBytes = settings.connectionMemoryLimit
        configuration.connectionTimeoutSeconds = max(1, Int(settings.connectionTimeout.seconds.rounded()))
        configuration.maxRequestBodyBytes = settings.maxBodyBytes
        return configuration
    }

    /// Starts listening and delivering; returns once ready.
    func start() throws(DaemonStartError) {
        do {
            try server.start()
        } catch {
            throw DaemonStartError(code: .listen, lines: ["cannot listen: \(error.message)"])
        }
        publicURL.set(resolvedPublicURL(holder.snapshot))
        engine.start()
        evaluation.startTimers()
        let runtime = holder.snapshot
        metrics.set(DaemonMetrics.buildInfo, [("version", HeraldVersion.string)], to: 1, help: "Herald's version; always 1.")
        logger.notice("herald started", ["version": HeraldVersion.string, "listen": listenDescription, "port": server.boundPort,
                                         "config": runtime.path, "summary": runtime.config.summary,
                                         "state.dir": options.resolvedStateDirectory(), "store": storeDescription])
        for warning in runtime.config.warnings { logger.warning("config warning: \(warning.description)") }
        if runtime.tokens.isEmpty { logger.warning("no API tokens configured: every /v1 request will be refused with 401") }
        if inheritedSocket == nil, let warning = Daemon.clearTextWarning(listen: listenDescription, tls: runtime.tls != nil) {
            logger.warning(warning, ["listen": listenDescription])
        }
        if runtime.config.targets.isEmpty { logger.warning("no webhook targets configured: notifications are recorded in the audit log only") }
        schedulePruning()
        retention.start()
        agreement.start()
        directoryWatch?.start()
        listener?.start()
        startWatchdog()
        notifier.ready(status: status())
        scheduleStatus()
    }

    /// Without `server.tls`, on an address other hosts can reach, tokens and events cross
    /// the network readable by anyone on the path (#17 item 14): say so at start.
    static func clearTextWarning(listen: String, tls: Bool) -> String? {
        guard !tls, let address = try? ListenAddress(parsing: listen), !address.isLoopback else { return nil }
        return "listening on a non-loopback address without TLS: bearer tokens and events travel in clear text; set server.tls, put a TLS proxy in front (docs/operations.md) or bind 127.0.0.1"
    }

    /// WATCHDOG=1 at half of `$WATCHDOG_USEC`, only while the evaluation queue answers:
    /// a wedged evaluation stops the pings and systemd restarts the service.
    private func startWatchdog() {
        do {
            guard let schedule = try WatchdogSchedule.fromEnvironment() else { return }
            let evaluation = self.evaluation
            let timeout = Double(schedule.pingIntervalMicroseconds) / 2_000_000
            let watchdog = Watchdog(schedule: schedule, notifier: notifier, logger: logger) { evaluation.isResponsive(timeout: timeout) }
            watchdog.start()
            self.watchdog = watchdog
        } catch {
            logger.warning("ignoring a malformed watchdog setting", ["error": error.description])
        }
    }

    /// The short live summary systemd shows in `systemctl status`.
    private func status() -> String {
        let accepted = Int(metrics.value(DaemonMetrics.eventsAccepted) ?? 0)
        let outbox = Int(metrics.value(DaemonMetrics.outboxDepth) ?? 0)
        return "\(accepted) events accepted, \(evaluation.queuedEvents) queued, \(outbox) deliveries pending\(reloadNote)"
    }

    private func scheduleStatus() {
        guard notifier.isEnabled else { return }
        let timer = DispatchSource.makeTimerSource(queue: reloadQueue)
        timer.schedule(deadline: .now() + Self.statusInterval, repeating: Self.statusInterval)
        timer.setEventHandler { [self] in notifier.status(status()) }
        timer.resume()
        sources.append(timer)
    }

    /// Where the listener came from, for the start-up log.
    private var listenDescription: String {
        inheritedSocket == nil ? (options.listen ?? holder.snapshot.config.server.listen) : "socket from systemd"
    }

    /// `server.publicURL`, or `http(s)://` + the listen address with the bound port.
    private func resolvedPublicURL(_ runtime: RuntimeConfig) -> String {
        let listen = inheritedSocket == nil ? try? ListenAddress(parsing: options.listen ?? runtime.config.server.listen) : nil
        return PublicURL.resolve(configured: runtime.config.server.publicURL, listen: listen, boundPort: server.boundPort,
                                 tls: runtime.tls != nil)
    }

    /// The port actually bound (useful with port 0).
    var boundPort: Int { server.boundPort }

    private func schedulePruning() {
        let timer = DispatchSource.makeTimerSource(queue: reloadQueue)
        timer.schedule(deadline: .now() + Self.pruneInterval, repeating: Self.pruneInterval)
        timer.setEventHandler { [evaluation] in evaluation.prune() }
        timer.resume()
        sources.append(timer)
    }

    /// Re-reads the config file; a bad config is refused and the old one keeps running.
    func reload(completion: (@Sendable (Bool) -> Void)? = nil) {
        reloadQueue.async { [self] in
            let old = holder.snapshot
            let next: RuntimeConfig
            do throws(RuntimeConfigError) {
                next = try RuntimeConfig.load(path: options.configPath)
                // TLS files are re-read on every reload: a renewed certificate is served to
                // new connections from now on, over the same socket (`replaceTLS`).
                if next.tls != old.tls {
                    do throws(HTTPServerError) {
                        try server.replaceTLS(with: next.tls)
                    } catch {
                        throw RuntimeConfigError(lines: ["server.tls: \(error.message)"])
                    }
                    logger.notice("TLS certificate reloaded; new connections use it", ["tls": next.tls != nil])
                }
            } catch {
                for line in error.lines { logger.error("config reload refused: \(line)") }
                logger.error("config reload failed, still running the previous config", ["errors": error.lines.count])
                metrics.increment(DaemonMetrics.configReloads, [("result", "failure")], help: "Config reloads by result.")
                reloadNote = "; last reload FAILED (\(error.lines.count) errors), running the previous config"
                notifier.ready(status: status())
                completion?(false)
                return
            }
            publicURL.set(resolvedPublicURL(next))
            // SCIM users and groups are merged in, and the swap made, under the SCIM lock.
            scim.reload(next) { merged in
                holder.replace(with: merged)
                evaluation.apply(merged.config, ackLinks: merged.ackLinks) { [logger] dropped in
                    if !dropped.isEmpty { logger.info("dropped state of removed rules", ["states": dropped.count]) }
                }
            }
            engine.reloaded()
            if next.config.server.listen != old.config.server.listen || next.config.server.maxConnections != old.config.server.maxConnections {
                logger.warning("listener settings changed in the config; they take effect at the next restart")
            }
            if next.config.store.synchronous != old.config.store.synchronous || next.config.store.postgres != old.config.store.postgres {
                logger.warning("store settings changed in the config (store.synchronous or store.postgresql); they take effect at the next restart")
            }
            logger.notice("config reloaded", ["changes": ConfigDiff.summary(from: old.config, to: next.config), "summary": next.config.summary])
            metrics.increment(DaemonMetrics.configReloads, [("result", "success")], help: "Config reloads by result.")
            reloadNote = ""
            notifier.ready(status: status())
            completion?(true)
        }
    }

    /// Graceful stop: no new requests, in-flight ones answered, queued events committed,
    /// in-flight webhooks given a deadline, the rest left in the outbox.
    func shutdown() {
        guard !stopping else { return }
        stopping = true
        notifier.stopping()
        watchdog?.stop()
        logger.notice("herald stopping")
        server.stop(drainTimeout: Self.httpDrainSeconds)
        listener?.stop()
        evaluation.drain()
        retention.stop()
        directoryWatch?.stop()
        engine.shutdown(deadline: .now() + Self.deliveryDrainSeconds)
        agreement.stop()
        // Shared outbox: what this instance held and did not finish goes to the others now.
        if let shared = store as? PostgresStore, (try? shared.releaseClaims()) == nil {
            logger.warning("cannot release this instance's outbox claims; other instances take them when the lease runs out")
        }
        logger.notice("herald stopped")
    }

    /// Runs until SIGTERM or SIGINT; SIGHUP reloads. Returns the exit status.
    public static func run(_ options: DaemonOptions) -> Int32 {
        let logger = Logger(label: "herald", minimumLevel: options.logLevel, environment: JournalStream.loggerEnvironment())
        signal(SIGPIPE, SIG_IGN)
        let handled = blockHandledSignals()
        let daemon: Daemon
        do throws(DaemonStartError) {
            daemon = try Daemon(options: options, logger: logger)
            try daemon.start()
        } catch {
            for line in error.lines { logger.error(line, ["error.code": error.code.rawValue]) }
            logger.error("herald could not start", ["error.code": error.code.rawValue])
            return 1
        }
        daemon.waitForSignals(handled)
    }

    /// Blocks SIGTERM, SIGINT and SIGHUP in the calling (main) thread before any other
    /// thread exists, so every thread inherits the mask and the signals stay pending until
    /// `waitForSignals` takes them.
    ///
    /// Why not `DispatchSource.makeSignalSource` with `SIG_IGN`, as before: a source
    /// installs its handler asynchronously on libdispatch's manager thread, and
    /// `dispatchMain` unblocks every signal on the main thread; a SIGTERM sent right after
    /// readiness could reach the main thread while the disposition was still `SIG_IGN`
    /// and vanish, leaving the daemon running until systemd's stop timeout (seen in tests
    /// under load, about 1 run in 20).
    private static func blockHandledSignals() -> sigset_t {
        var handled = sigset_t()
        sigemptyset(&handled)
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signalNumber) }
        pthread_sigmask(SIG_BLOCK, &handled, nil)
        return handled
    }

    /// The main thread's loop: `sigwait` takes each handled signal from the pending set
    /// (one sent at any moment after start-up is never lost); SIGHUP reloads, SIGTERM and
    /// SIGINT drain and exit.
    private func waitForSignals(_ handled: sigset_t) -> Never {
        var handled = handled
        while true {
            var received: Int32 = 0
            guard sigwait(&handled, &received) == 0 else { continue }
            if received == SIGHUP {
                logger.notice("SIGHUP: reloading the config")
                notifier.reloading()
                reload()
            } else {
                shutdown()
                exit(0)
            }
        }
    }
}

/// Why the daemon could not start: a stable code (the log key `error.code`) and one
/// line per problem.
struct DaemonStartError: Error {
    enum Code: String, Sendable {
        /// The config file or a secret it names could not be read or is invalid.
        case config
        /// The state store could not be opened or migrated.
        case store
        /// Webhook delivery (libcurl) could not be set up.
        case delivery
        /// The listen address is invalid or cannot be bound.
        case listen
        /// systemd socket activation handed over something unusable.
        case socketActivation = "socket_activation"
        /// Another daemon holds the state directory's lock (or it cannot be taken).
        case stateLocked = "state_locked"
    }

    let code: Code
    let lines: [String]
}
