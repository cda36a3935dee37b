import Foundation
import HeraldStore
import HeraldSupport

/// Whether the instances sharing one store run the same config (issue #20 guarantee 7).
///
/// Every `heartbeatInterval` this instance records its config hash in the store and
/// reads the hashes of the instances heard from within `liveWithin`; `/readyz` names them
/// when they differ and `herald_config_versions` counts them (1: all agree). Disagreement
/// does not make an instance unready: during a rolling config change every instance
/// disagrees for a moment, and a balancer taking them all out would stop ingest. With
/// SQLite there is one instance, and the answer is always its own hash.
final class ConfigAgreement: @unchecked Sendable {
    /// How often the hash is recorded: often enough that an instance that started with
    /// another config shows within seconds.
    static let heartbeatInterval: DispatchTimeInterval = .seconds(5)
    /// Instances not heard from for this long (three missed heartbeats) no longer count.
    static let liveWithin: TimeInterval = 15
    static let versionsMetric = "herald_config_versions"

    private let store: any StateStore
    private let holder: ConfigHolder
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let lock = NSLock()
    /// The last answer; guarded by `lock`.
    private var hashes: [String] = []
    private var timer: DispatchSourceTimer?
    /// Its own queue: a heartbeat may wait for an unreachable database (up to the connect
    /// timeout), and nothing else should wait behind it.
    private let queue = DispatchQueue(label: "herald.config-agreement")

    init(store: any StateStore, holder: ConfigHolder, metrics: MetricsRegistry, logger: Logger) {
        self.store = store
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        metrics.describe(Self.versionsMetric, type: .gauge,
                         help: "Distinct config file hashes among the instances sharing the store (1: they agree).")
    }

    /// Heartbeats from now on, the first at once.
    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: Self.heartbeatInterval)
        timer.setEventHandler { [weak self] in self?.beat() }
        timer.resume()
        lock.withLock { self.timer = timer }
    }

    func stop() {
        lock.withLock { timer }?.cancel()
    }

    /// Records this instance's hash and keeps what the store says about the others.
    func beat() {
        let own = holder.snapshot.configHash
        do throws(StoreError) {
            let live = try store.announceConfig(own, liveWithin: Self.liveWithin)
            let previous = lock.withLock { () -> [String] in defer { hashes = live }; return hashes }
            metrics.set(Self.versionsMetric, to: Double(live.count))
            if live.count > 1, live != previous {
                logger.warning("instances sharing the store run different configs", ["config.hash": own, "config.hashes": live.joined(separator: ",")])
            }
        } catch {
            logger.warning("cannot record this instance's config hash, will retry", ["error.code": error.code.rawValue, "error": error.message])
        }
    }

    /// The hashes of the live instances when they differ; nil when they agree (or nothing
    /// is known yet).
    var disagreement: [String]? {
        let live = lock.withLock { hashes }
        return live.count > 1 ? live : nil
    }
}
