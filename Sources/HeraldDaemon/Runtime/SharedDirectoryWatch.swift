import Foundation
import HeraldStore
import HeraldSupport

/// In a store several instances share: notices SCIM changes stored through another
/// instance and has `ScimService` adopt them, so users and groups provisioned at any
/// instance route notices at every one within about `interval` (issue #20 guarantee 4).
///
/// Polls the store's `directoryVersion` (one count on the directory audit table) and
/// re-reads the resources only when it moved. Polling is the guarantee; a LISTEN/NOTIFY
/// wake-up (`poke`) only makes it sooner (guarantee 6).
final class SharedDirectoryWatch: @unchecked Sendable {
    /// How often the version is read: a second keeps "provisioned at A, notified at B"
    /// within a couple of seconds for one small query per instance per second.
    static let interval: DispatchTimeInterval = .seconds(1)

    private let store: any StateStore
    private let scim: ScimService
    private let logger: Logger
    private let queue = DispatchQueue(label: "herald.scim.watch")
    // Confined to `queue`.
    private var timer: DispatchSourceTimer?
    /// The version whose resources are in memory; nil until the first look, which
    /// therefore always compares (a change stored between the start-up load and the first
    /// tick is not missed).
    private var seen: Int64?
    private var failing = false
    /// No re-read before this (monotonic): a re-read reads and parses every resource
    /// (≈ 0.35 s for 10,000 users in a debug build), so the next one waits at least as
    /// long as the last took — while another instance provisions in bulk, this one spends
    /// at most about half a core following it, and catches up once the burst ends.
    private var nextReadAt = DispatchTime.now()

    init(store: any StateStore, scim: ScimService, logger: Logger) {
        self.store = store
        self.scim = scim
        self.logger = logger
    }

    func start(interval: DispatchTimeInterval = SharedDirectoryWatch.interval) {
        queue.sync {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
    }

    /// Looks now rather than at the next tick (a LISTEN/NOTIFY wake-up: a hint only).
    func poke() {
        queue.async { [self] in if timer != nil { tick() } }
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    /// One look: adopt the stored resources when the version moved. The version is read
    /// before the resources, so a change stored meanwhile moves it again for the next look.
    private func tick() {
        let version: Int64
        do throws(StoreError) {
            version = try store.directoryVersion()
        } catch {
            if !failing { logger.warning("cannot read the directory version, will retry", ["error.code": error.code.rawValue]) }
            failing = true
            return
        }
        failing = false
        guard version != seen, DispatchTime.now() >= nextReadAt else { return }
        let started = DispatchTime.now()
        if scim.adoptStoredResources() { seen = version }
        let took = DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds
        nextReadAt = .now() + .nanoseconds(Int(min(took, UInt64(Int.max))))
    }
}
