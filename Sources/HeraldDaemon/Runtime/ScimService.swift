import Foundation
import HeraldCore
import HeraldServer
import HeraldStore
import HeraldSupport

/// Owns the SCIM-provisioned part of the directory: every change is checked against the
/// directory as the changes before it left it (the config's rules), made durable in the
/// store, and only then answered and swapped in as a new snapshot. In-flight evaluations
/// keep the snapshot they started with.
///
/// Group commit: a change is checked and applied to a working copy under `lock`, then
/// handed to a `GroupWriter`, so changes that arrive while one transaction is being
/// written share the next one and its fsync (an identity provider sending in parallel
/// gets one fsync per group, not per user). A change is published (the evaluation loop
/// and readers of `holder` see it) and answered only from its successful completion,
/// in submission order. When a group fails, everything submitted after it fails too
/// (`latchFailures`: they were checked against the failed change), and once the last
/// of them has completed the working copy is rebuilt from the store and the published
/// snapshot, which hold only what was written.
final class ScimService: @unchecked Sendable {
    /// Guards the fields below; completions take it too, and `reload` waits on it for
    /// outstanding changes.
    private let lock = NSCondition()
    /// The SCIM resources including changes submitted but not yet durable.
    private var scim: ScimDirectory
    /// The runtime those submitted changes lead to; nil when it is `holder.snapshot`.
    private var working: RuntimeConfig?
    /// Changes submitted whose completion has not run yet.
    private var outstanding = 0
    /// A write failed: refuse new changes until the working copy is rebuilt.
    private var failed = false
    /// A config reload waits for outstanding changes; new changes wait for it.
    private var reloading = false
    /// The config as read from its file, before the SCIM resources were merged in: what
    /// the resources are merged into again when another instance changed them.
    private var base: RuntimeConfig
    private let writer: GroupWriter<ScimChangeRecord>
    /// Where completions publish and answer, in submission order: off the writer's
    /// queue, so the next transaction starts while this one's changes are published
    /// (publishing takes `lock`, which a request may hold while it checks a change).
    private let publisher = DispatchQueue(label: "herald.scim.publish")
    private let store: any StateStore
    private let holder: ConfigHolder
    private let metrics: MetricsRegistry
    private let logger: Logger
    /// Hands a new config to the evaluation loop (set once the loop exists).
    var onDirectoryChanged: (@Sendable (RuntimeConfig) -> Void)?

    /// Most SCIM changes in one transaction: a change is a few small rows, so 256 still
    /// write in a few milliseconds, while one fsync covers them all.
    static let maxChangesPerTransaction = 256
    /// Most SCIM changes waiting or being written before a request is refused with 503:
    /// a provisioning client with more requests in flight than this is told to slow down.
    static let maxPendingChanges = 4 * maxChangesPerTransaction

    /// `base`: the config as read from its file (`holder` has the SCIM resources merged in).
    init(base: RuntimeConfig, scim: ScimDirectory, store: any StateStore, holder: ConfigHolder, metrics: MetricsRegistry, logger: Logger) {
        self.base = base
        self.scim = scim
        self.store = store
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        let names = GroupCommitMetricNames(batchSize: DaemonMetrics.scimCommitBatchSize, batchSizeHelp: "SCIM changes per store transaction.",
                                           seconds: DaemonMetrics.scimCommitSeconds, secondsHelp: "Duration of SCIM store transactions.")
        writer = GroupWriter(metrics: metrics, names: names, label: "herald.scim.group-commit", maxBatches: Self.maxChangesPerTransaction,
                             maxPending: Self.maxPendingChanges, latchFailures: true) { (changes) throws(StoreError) in
            try store.saveScimChanges(changes)
        }
    }

    // MARK: - Start and reload

    /// The SCIM resources in the store (a row that no longer parses is skipped and logged).
    static func load(from store: any StateStore, settings: ScimSettings, logger: Logger) throws(StoreError) -> ScimDirectory {
        var users: [ScimUser] = []
        var groups: [ScimGroup] = []
        let placeholder = ScimMeta(created: Date(timeIntervalSince1970: 0), lastModified: Date(timeIntervalSince1970: 0), version: 1)
        for record in try store.scimResources() {
            do {
                let value = try JSONValue.parse(record.body)
                if record.kind == "User" {
                    users.append(try ScimJSON.user(value, meta: placeholder))
                } else {
                    groups.append(try ScimJSON.group(value, id: record.id, meta: placeholder))
                }
            } catch {
                logger.error("a stored SCIM resource cannot be read, ignoring it", ["kind": record.kind, "id": record.id])
            }
        }
        return ScimDirectory(users: users, groups: groups, roleGroups: settings.roleGroups, groupIDs: settings.groups)
    }

    /// `runtime` with the SCIM users and groups added to its directory. What the config
    /// now forbids (a user the config took over, a role it no longer has) is left out
    /// and logged; the stored resource stays for when the config allows it again.
    static func merged(_ runtime: RuntimeConfig, with scim: ScimDirectory, logger: Logger) -> RuntimeConfig {
        let changes = scim.allChanges()
        guard !changes.isEmpty else { return runtime }
        var directory = runtime.config.directory
        do {
            directory = try directory.applying(changes)
        } catch {
            for change in changes {
                do {
                    directory = try directory.applying([change])
                } catch {
                    logger.warning("a SCIM resource is not in the directory: \(error.message)", ["change": "\(change)".prefix(200)])
                }
            }
        }
        return runtime.replacing(runtime.config.replacingDirectory(directory))
    }

    /// A reloaded config: SCIM resources merged (with the new `roleGroups` and `groups`), then swapped
    /// in by `install` under the lock, once every outstanding change is durable and
    /// published, so no SCIM change is lost or published after the reload.
    func reload(_ next: RuntimeConfig, install: (RuntimeConfig) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        while reloading { lock.wait() }
        reloading = true
        defer { reloading = false; lock.broadcast() }
        while outstanding > 0 { lock.wait() }
        scim = ScimDirectory(users: scim.userOrder.compactMap { scim.users[$0] }, groups: scim.groupOrder.compactMap { scim.groups[$0] },
                             roleGroups: next.config.document.scim.roleGroups, groupIDs: next.config.document.scim.groups)
        working = nil
        base = next
        install(Self.merged(next, with: scim, logger: logger))
    }

    // MARK: - Changes made by other instances (a shared store)

    /// Re-reads the SCIM resources from the store and, when they differ from the ones in
    /// memory (another instance changed them), merges them into the config again and
    /// publishes the result as a local change would be. Returns false when it could not
    /// look now (a local change or reload in progress, or the store failed): the caller
    /// asks again at its next tick.
    @discardableResult
    func adoptStoredResources() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !reloading, outstanding == 0, !failed else { return false }
        let stored: ScimDirectory
        do throws(StoreError) {
            stored = try Self.load(from: store, settings: base.config.document.scim, logger: logger)
        } catch {
            logger.warning("cannot re-read the SCIM resources, will retry", ["error.code": error.code.rawValue, "error": error.message])
            return false
        }
        guard !Self.sameResources(stored, scim) else { return true }
        scim = stored
        working = nil
        let next = Self.merged(base, with: stored, logger: logger)
        holder.replace(with: next)
        onDirectoryChanged?(next)
        logger.info("directory changed through SCIM on another instance", ["users": stored.userOrder.count, "groups": stored.groupOrder.count])
        return true
    }

    /// Whether two sets of resources are the same, timestamps aside: a stored copy keeps
    /// milliseconds only, while every change bumps a resource's `meta.version` anyway.
    static func sameResources(_ a: ScimDirectory, _ b: ScimDirectory) -> Bool {
        func undated<Resource>(_ resources: [String: Resource], _ meta: WritableKeyPath<Resource, ScimMeta>) -> [String: Resource] {
            resources.mapValues { resource in
                var copy = resource
                copy[keyPath: meta] = ScimMeta(created: .distantPast, lastModified: .distantPast, version: resource[keyPath: meta].version)
                return copy
            }
        }
        return a.userOrder == b.userOrder && a.groupOrder == b.groupOrder
            && undated(a.users, \.meta) == undated(b.users, \.meta) && undated(a.groups, \.meta) == undated(b.groups, \.meta)
    }

    // MARK: - Reading

    /// Runs `body` with the SCIM resources and the directory as the changes submitted so
    /// far leave them (a client reading its own write sees it once answered).
    func read<T>(_ body: (ScimDirectory, HeraldConfig) -> T) -> T {
        lock.withLock { body(scim, (working ?? holder.snapshot).config) }
    }

    // MARK: - Changing

    /// One SCIM change: `propose` sees the current resources and directory and returns
    /// the directory changes, the store writes, the in-memory update and the answer (or
    /// throws a SCIM error, answered at once). `respond` gets the answer only after the
    /// change is durable, or a SCIM error (503) when it could not be written.
    func change(kind: String, operation: String, respond: @escaping HTTPResponder,
                _ propose: (ScimDirectory, HeraldConfig) throws(ScimError) -> ScimProposal) {
        let started = DispatchTime.now()
        lock.lock()
        do throws(ScimError) {
            try submitLocked(propose, started: started, kind: kind, operation: operation, respond: respond)
            lock.unlock()
        } catch {
            lock.unlock()
            metrics.increment(DaemonMetrics.scimRefused, [("status", String(error.status))], help: "SCIM requests refused, by HTTP status.")
            respond(ScimHTTP.error(error))
        }
    }

    /// Check, apply to the working copy, submit; called with `lock` held.
    private func submitLocked(_ propose: (ScimDirectory, HeraldConfig) throws(ScimError) -> ScimProposal, started: DispatchTime,
                              kind: String, operation: String, respond: @escaping HTTPResponder) throws(ScimError) {
        while reloading { lock.wait() }
        if failed, outstanding == 0 { rebuildLocked() }
        guard !failed else { throw Self.unavailable("an earlier change could not be written; the directory is being re-read") }
        let runtime = working ?? holder.snapshot
        let proposal = try propose(scim, runtime.config)
        let directory: Directory
        do throws(DirectoryChangeError) {
            directory = try runtime.config.directory.applying(proposal.changes)
        } catch {
            throw ScimError(error)
        }
        let next = runtime.replacing(runtime.config.replacingDirectory(directory))
        let record = proposal.record, answer = proposal.answer
        do throws(StoreError) {
            try writer.submit(record) { [self] result in
                publisher.async { [self] in
                    completed(result, next: next, record: record, answer: answer, started: started,
                              kind: kind, operation: operation, respond: respond)
                }
            }
        } catch {
            throw Self.unavailable("\(Self.maxPendingChanges) SCIM changes are already waiting to be written; retry later")
        }
        outstanding += 1
        proposal.commit(&scim)
        working = next
    }

    /// On `publisher`, in submission order: publish and answer, or refuse.
    private func completed(_ result: Result<Void, StoreError>, next: RuntimeConfig, record: ScimChangeRecord, answer: HTTPResponse,
                           started: DispatchTime, kind: String, operation: String, respond: HTTPResponder) {
        lock.lock()
        outstanding -= 1
        switch result {
        case .success:
            if !failed {
                holder.replace(with: next)
                onDirectoryChanged?(next)
            }
            if outstanding == 0, !failed { working = nil }
        case .failure:
            failed = true
        }
        if failed, outstanding == 0 { rebuildLocked() }
        lock.broadcast()
        lock.unlock()
        switch result {
        case .success:
            let audit = record.audit
            logger.info("directory changed through SCIM", ["kind": audit.kind, "operation": audit.operation,
                                                           "resource.id": audit.resourceID, "actor": audit.actor])
            metrics.increment(DaemonMetrics.scimChanges, [("kind", kind), ("operation", operation)], help: "SCIM changes applied, by resource kind and operation.")
            metrics.observe(DaemonMetrics.scimChangeSeconds, value: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9,
                            help: "Time to check, store and apply one SCIM change.")
            respond(answer)
        case .failure(let error):
            logger.error("a SCIM change could not be stored, refusing it", ["error": error.message, "code": error.code.rawValue])
            metrics.increment(DaemonMetrics.scimRefused, [("status", "503")], help: "SCIM requests refused, by HTTP status.")
            respond(ScimHTTP.error(Self.unavailable("the state store cannot take the change now (\(error.code.rawValue)); retry later")))
        }
    }

    /// After a failed write, once nothing is outstanding: the working copy becomes what
    /// the store holds and what was published, and the writer takes changes again.
    private func rebuildLocked() {
        do throws(StoreError) {
            scim = try Self.load(from: store, settings: (working ?? holder.snapshot).config.document.scim, logger: logger)
        } catch {
            // Still unreadable: stay refusing; the next completion or change tries again.
            logger.error("the SCIM resources cannot be re-read after a failed write, refusing changes", ["error": error.message])
            return
        }
        working = nil
        failed = false
        writer.reset()
    }

    private static func unavailable(_ detail: String) -> ScimError {
        ScimError(status: 503, scimType: nil, detail)
    }
}

/// What one SCIM request will do, computed before anything changes.
struct ScimProposal {
    var changes: [DirectoryChange]
    var record: ScimChangeRecord
    var commit: (inout ScimDirectory) -> Void
    /// The answer once the change is durable.
    var answer: HTTPResponse
}
