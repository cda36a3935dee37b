import Foundation
import HeraldCore
import HeraldStore
import HeraldSupport

/// Owns the SCIM-provisioned part of the directory: every change is checked against the
/// current directory (the config's rules), made durable in the store, and only then
/// swapped in as a new snapshot, all under one lock so SCIM requests and config
/// reloads never interleave. In-flight evaluations keep the snapshot they started with.
final class ScimService: @unchecked Sendable {
    private let lock = NSLock()
    /// Confined to `lock`.
    private var scim: ScimDirectory
    private let store: any StateStore
    private let holder: ConfigHolder
    private let metrics: MetricsRegistry
    private let logger: Logger
    /// Hands a new config to the evaluation loop (set once the loop exists).
    var onDirectoryChanged: (@Sendable (RuntimeConfig) -> Void)?

    init(scim: ScimDirectory, store: any StateStore, holder: ConfigHolder, metrics: MetricsRegistry, logger: Logger) {
        self.scim = scim
        self.store = store
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: - Start and reload

    /// The SCIM resources in the store (a row that no longer parses is skipped and logged).
    static func load(from store: any StateStore, roleGroups: [String: String], logger: Logger) throws(StoreError) -> ScimDirectory {
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
        return ScimDirectory(users: users, groups: groups, roleGroups: roleGroups)
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

    /// A reloaded config: SCIM resources merged (with the new `roleGroups`), then swapped
    /// in by `install` under the lock, so no SCIM change is lost between the two.
    func reload(_ next: RuntimeConfig, install: (RuntimeConfig) -> Void) {
        lock.withLock {
            scim = ScimDirectory(users: scim.userOrder.compactMap { scim.users[$0] }, groups: scim.groupOrder.compactMap { scim.groups[$0] },
                                 roleGroups: next.config.document.scim.roleGroups)
            install(Self.merged(next, with: scim, logger: logger))
        }
    }

    // MARK: - Reading

    /// Runs `body` with the SCIM resources and the directory as they are now.
    func read<T>(_ body: (ScimDirectory, HeraldConfig) -> T) -> T {
        lock.withLock { body(scim, holder.snapshot.config) }
    }

    // MARK: - Changing

    /// One SCIM change: `propose` sees the current resources and directory and returns
    /// the directory changes, the store writes and the in-memory update (or throws a
    /// SCIM error). Durable before it returns; the directory swapped after the store.
    func change(kind: String, operation: String, _ propose: (ScimDirectory, HeraldConfig) throws(ScimError) -> ScimProposal) throws(ScimError) {
        let started = DispatchTime.now()
        lock.lock()
        defer { lock.unlock() }
        do throws(ScimError) {
            try applyLocked(propose)
        } catch {
            metrics.increment(DaemonMetrics.scimRefused, [("status", String(error.status))], help: "SCIM requests refused, by HTTP status.")
            throw error
        }
        metrics.increment(DaemonMetrics.scimChanges, [("kind", kind), ("operation", operation)], help: "SCIM changes applied, by resource kind and operation.")
        metrics.observe(DaemonMetrics.scimChangeSeconds, value: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9,
                        help: "Time to check, store and apply one SCIM change.")
    }

    /// Check, store, swap; called with `lock` held.
    private func applyLocked(_ propose: (ScimDirectory, HeraldConfig) throws(ScimError) -> ScimProposal) throws(ScimError) {
        let runtime = holder.snapshot
        let proposal = try propose(scim, runtime.config)
        let directory: Directory
        do throws(DirectoryChangeError) {
            directory = try runtime.config.directory.applying(proposal.changes)
        } catch {
            throw ScimError(error)
        }
        do throws(StoreError) {
            try store.saveScimChange(proposal.record)
        } catch {
            logger.error("a SCIM change could not be stored, refusing it", ["error": error.message, "code": error.code.rawValue])
            throw ScimError(status: 503, scimType: nil, "the state store cannot take the change now (\(error.code.rawValue)); retry later")
        }
        proposal.commit(&scim)
        let next = runtime.replacing(runtime.config.replacingDirectory(directory))
        holder.replace(with: next)
        onDirectoryChanged?(next)
        let audit = proposal.record.audit
        logger.info("directory changed through SCIM", ["kind": audit.kind, "operation": audit.operation,
                                                       "resource.id": audit.resourceID, "actor": audit.actor])
    }
}

/// What one SCIM request will do, computed before anything changes.
struct ScimProposal {
    var changes: [DirectoryChange]
    var record: ScimChangeRecord
    var commit: (inout ScimDirectory) -> Void
}
