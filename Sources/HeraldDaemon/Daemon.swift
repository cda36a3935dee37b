import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldSupport

/// `herald serve`: wires the stages together and runs them until SIGTERM/SIGINT.
///
/// Start order: config (with secrets) → store (state loaded) → pipeline → delivery
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

    let options: DaemonOptions
    let logger: Logger
    let metrics = MetricsRegistry()
    private let holder: ConfigHolder
    private let store: Store
    private let pipeline: IngestPipeline
    private let engine: DeliveryEngine
    private let server: HTTPServer
    private let reloadQueue = DispatchQueue(label: "herald.reload")
    /// Signal sources and timers must be held: only the kernel refers to them otherwise.
    private var sources: [DispatchSourceProtocol] = []
    private var stopping = false

    /// Builds every stage; throws a message naming what could not start.
    init(options: DaemonOptions, logger: Logger) throws(DaemonStartError) {
        self.options = options
        self.logger = logger
        let runtime: RuntimeConfig
        do {
            runtime = try RuntimeConfig.load(path: options.configPath)
        } catch {
            throw DaemonStartError(lines: error.lines)
        }
        holder = ConfigHolder(runtime)
        let config = runtime.config
        let stateDirectory = options.resolvedStateDirectory()
        do {
            store = try Store(directory: URL(fileURLWithPath: stateDirectory), metrics: metrics)
            let state = try IngestPipeline.loadState(from: store, config: config, now: Date(), logger: logger)
            pipeline = IngestPipeline(config: config, state: state, store: store, metrics: metrics, logger: logger)
        } catch {
            throw DaemonStartError(lines: ["cannot open the state store in '\(stateDirectory)': \(error.message) (\(error.code.rawValue))"])
        }
        do {
            engine = try DeliveryEngine(store: store, holder: holder, metrics: metrics, logger: logger)
        } catch {
            throw DaemonStartError(lines: ["cannot start webhook delivery: \(error)"])
        }
        let routes = ApiRoutes(pipeline: pipeline, store: store, holder: holder, metrics: metrics, logger: logger)
        do {
            server = HTTPServer(configuration: try Daemon.serverConfiguration(config.server, listen: options.listen),
                                handler: routes.router(), logger: logger, metrics: metrics)
        } catch {
            throw DaemonStartError(lines: ["invalid listen address: \(error.message)"])
        }
        pipeline.onCommitted = { [engine] rows in engine.submit(rows) }
    }

    static func serverConfiguration(_ settings: ServerSettings, listen: String?) throws(HTTPServerError) -> HTTPServerConfiguration {
        var configuration = try HTTPServerConfiguration(listen: listen ?? settings.listen)
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
            throw DaemonStartError(lines: ["cannot listen: \(error.message)"])
        }
        engine.start()
        let runtime = holder.snapshot
        metrics.set("herald_build_info", [("version", HeraldVersion.string)], to: 1, help: "Herald's version; always 1.")
        logger.notice("herald started", ["version": HeraldVersion.string, "listen": "port \(server.boundPort)",
                                         "config": runtime.path, "summary": runtime.config.summary,
                                         "state.dir": options.resolvedStateDirectory()])
        for warning in runtime.config.warnings { logger.warning("config warning: \(warning.description)") }
        if runtime.tokens.isEmpty { logger.warning("no API tokens configured: every /v1 request will be refused with 401") }
        if runtime.config.targets.isEmpty { logger.warning("no webhook targets configured: notifications are recorded in the audit log only") }
        schedulePruning()
    }

    /// The port actually bound (useful with port 0).
    var boundPort: Int { server.boundPort }

    private func schedulePruning() {
        let timer = DispatchSource.makeTimerSource(queue: reloadQueue)
        timer.schedule(deadline: .now() + Self.pruneInterval, repeating: Self.pruneInterval)
        timer.setEventHandler { [pipeline] in pipeline.pruneSeenEvents() }
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
            } catch {
                for line in error.lines { logger.error("config reload refused: \(line)") }
                logger.error("config reload failed, still running the previous config", ["errors": error.lines.count])
                metrics.increment("herald_config_reloads_total", [("result", "failure")], help: "Config reloads by result.")
                completion?(false)
                return
            }
            holder.replace(with: next)
            pipeline.apply(next.config) { [logger] dropped in
                if !dropped.isEmpty { logger.info("dropped state of removed rules", ["states": dropped.count]) }
            }
            engine.reloaded()
            if next.config.server.listen != old.config.server.listen || next.config.server.maxConnections != old.config.server.maxConnections {
                logger.warning("listener settings changed in the config; they take effect at the next restart")
            }
            logger.notice("config reloaded", ["changes": ConfigDiff.summary(from: old.config, to: next.config), "summary": next.config.summary])
            metrics.increment("herald_config_reloads_total", [("result", "success")], help: "Config reloads by result.")
            completion?(true)
        }
    }

    /// Graceful stop: no new requests, in-flight ones answered, queued events committed,
    /// in-flight webhooks given a deadline, the rest left in the outbox.
    func shutdown() {
        guard !stopping else { return }
        stopping = true
        logger.notice("herald stopping")
        server.stop(drainTimeout: Self.httpDrainSeconds)
        pipeline.drain()
        engine.shutdown(deadline: .now() + Self.deliveryDrainSeconds)
        logger.notice("herald stopped")
    }

    /// Runs until SIGTERM or SIGINT; SIGHUP reloads. Returns the exit status.
    public static func run(_ options: DaemonOptions) -> Int32 {
        let logger = Logger(label: "herald", minimumLevel: options.logLevel)
        signal(SIGPIPE, SIG_IGN)
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { signal(signalNumber, SIG_IGN) }
        let daemon: Daemon
        do throws(DaemonStartError) {
            daemon = try Daemon(options: options, logger: logger)
            try daemon.start()
        } catch {
            for line in error.lines { logger.error(line) }
            logger.error("herald could not start")
            return 1
        }
        daemon.installSignalHandlers()
        dispatchMain()
    }

    private func installSignalHandlers() {
        for (signalNumber, action) in [(SIGTERM, "stop"), (SIGINT, "stop"), (SIGHUP, "reload")] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler { [self] in
                if action == "reload" {
                    logger.notice("SIGHUP: reloading the config")
                    reload()
                } else {
                    shutdown()
                    exit(0)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Why the daemon could not start, one line per problem.
struct DaemonStartError: Error {
    let lines: [String]
}
