public import Foundation

/// Herald's durable state as the daemon sees it: what one commit makes durable, what a
/// start-up loads, the outbox the deliverer drains, dead letters, silences, the audit
/// log and a readiness probe. `SQLiteStore` is the first implementation; the second,
/// `PostgresStore` (target HeraldPostgres, for several daemons sharing one state, issue
/// #20), implements the same requirements and runs the same contract tests
/// (Tests/HeraldStoreTests, `StoreUnderTest`). HeraldStore never imports it.
///
/// Every requirement is synchronous and may be called from any thread; every failure is
/// a `StoreError` with a stable code. Listings are bounded by `StoreLimits`. Ordering,
/// replay and "false when absent" rules are part of the contract and are written on
/// each requirement, not left to the implementation.
public protocol StateStore: AnyObject, Sendable {
    // MARK: Commit (the evaluation loop, through GroupCommitter)

    /// Writes all `batches` in ONE transaction: either everything is durable or nothing
    /// is (on error nothing is kept and the error is thrown). In a batch, rule-state
    /// deletes apply after its upserts.
    ///
    /// Checked, so that processes sharing the store never build on each other's stale
    /// memory (issue #20): every rule-state write is based on a revision (see
    /// `RuleStateRecord`) and a seen event id is a claim. The commit fails with
    /// `conflict`, writing nothing, when a row's stored revision is not the first write's
    /// base, when a later write in the group is not based on the one before it, or when
    /// an event id is stored already (by anyone, whatever its age) or repeated in the
    /// group. Rows are locked in key order. A notification id already stored is ignored;
    /// a duplicate delivery id (outbox or dead letter) is a `constraint` error.
    func commit(_ batches: [CommitBatch]) throws(StoreError)

    // MARK: Start-up and pruning

    /// Every stored rule state, ordered by rule id then subject id.
    func loadRuleStates() throws(StoreError) -> [RuleStateRecord]
    /// Event ids seen at or after `since`, oldest first (the idempotency window).
    func loadSeenEvents(since: Date) throws(StoreError) -> [SeenEventRecord]

    // MARK: Re-reading what a conflict named (several processes, issue #20)

    /// The stored rows of `keys` (absent ones left out), ordered by rule id then subject id.
    func ruleStates(_ keys: [RuleStateRowKey]) throws(StoreError) -> [RuleStateRecord]
    /// Rule states whose escalation step falls due at or before `before`, earliest first,
    /// at most `limit` (clamped to `1...StoreLimits.maxRuleStatesPerRead`).
    func dueRuleStates(before: Date, limit: Int) throws(StoreError) -> [RuleStateRecord]
    /// Which of `ids` are stored as seen, whatever their age, ordered by id.
    func seenEvents(_ ids: [String]) throws(StoreError) -> [SeenEventRecord]
    /// Where the feed of rule-state writes stands now: every row written by a transaction
    /// that commits after this call comes at or after it. Taken before loading the states,
    /// so `ruleStateChanges` misses nothing written meanwhile.
    func ruleStateCursor() throws(StoreError) -> RuleStateCursor
    /// Rows written at or after `cursor` (some again, and some earlier ones: a reader
    /// keeps a row only when its revision is newer than the one it holds), at most
    /// `limit` (clamped to `1...StoreLimits.maxRuleStatesPerRead`), and the cursor to
    /// ask with next. How processes that share the store keep their memory of the rule
    /// states fresh; a store only one process writes returns none.
    func ruleStateChanges(after cursor: RuleStateCursor, limit: Int) throws(StoreError) -> RuleStateChanges

    /// Forgets event ids seen before `before`; returns how many were removed.
    @discardableResult
    func pruneSeenEvents(before: Date) throws(StoreError) -> Int

    // MARK: Retention (issue #22)

    /// One bounded step of pruning: at most `limit` (clamped to
    /// `1...StoreLimits.maxPrunedPerStep`) rows of each history table, oldest first, in
    /// one short transaction — dead letters dead and delivery outcomes recorded before
    /// `cutoffs.deliveriesBefore`, audit records created before `cutoffs.auditBefore`
    /// unless a waiting delivery or dead letter still sends their notice. Callers repeat
    /// while the step says there is `more`.
    func pruneHistory(_ cutoffs: RetentionCutoffs, limit: Int) throws(StoreError) -> PruneStep
    /// Gives up to `maxPages` unused pages back to the file system; returns how many.
    /// A store whose engine reclaims space itself returns 0.
    func releaseFreeSpace(maxPages: Int) throws(StoreError) -> Int
    /// Size, free space, rows and oldest record per table, for the store metrics. May
    /// read whole tables: for a periodic task, not for every request.
    func statistics() throws(StoreError) -> StoreStatistics

    // MARK: Outbox (the delivery engine)

    /// Deliveries due at `now`, earliest first, at most `limit` clamped to
    /// `1...StoreLimits.maxDeliveriesPerFetch`, leaving out rows whose target id (the
    /// part of `target` before any '@') is in `excludingTargets`.
    func dueDeliveries(now: Date, limit: Int, excludingTargets: Set<String>) throws(StoreError) -> [OutboxRecord]
    /// All waiting deliveries, due or not, earliest first (same clamp).
    func pendingDeliveries(limit: Int) throws(StoreError) -> [OutboxRecord]
    /// Records a failed attempt to retry at `nextAttemptAt`; false when the delivery is
    /// no longer in the outbox.
    @discardableResult
    func recordAttempt(deliveryID: String, attempts: Int, nextAttemptAt: Date,
                       lastStatus: Int?, lastError: String?) throws(StoreError) -> Bool
    /// Removes delivered deliveries from the outbox in one transaction, keeping each
    /// outcome (attempts = stored + 1); returns how many were still in the outbox.
    @discardableResult
    func markDelivered(_ deliveries: [DeliveredRecord]) throws(StoreError) -> Int
    /// Number of deliveries waiting in the outbox.
    func outboxDepth() throws(StoreError) -> Int
    /// Deliveries waiting per target id (the part of `target` before any '@').
    func outboxDepthByTarget() throws(StoreError) -> [String: Int]
    /// Renews this process's claims on the outbox rows `deliveryIDs` that it holds in
    /// memory (several processes on one store, issue #20): returns the ids it still holds,
    /// whose lease now runs again from this call. An id another process holds, whose lease
    /// already ran out, that is busy in another transaction or has left the outbox is not
    /// returned. A store that only one process opens needs no leases: it returns
    /// `deliveryIDs` unchanged.
    func renewClaims(_ deliveryIDs: [String]) throws(StoreError) -> Set<String>

    // MARK: Dead letters

    /// Moves a delivery that gave up to the dead letters (attempts = stored + 1, the
    /// excerpt cut to `SharedLimits.responseExcerptBytes`); false when not in the outbox.
    @discardableResult
    func moveToDeadLetter(deliveryID: String, status: Int?, error: String,
                          responseExcerpt: Data?, at: Date) throws(StoreError) -> Bool
    /// One page of dead letters, newest first; `limit` clamped to `1...StoreLimits.maxPageSize`.
    func deadLetters(limit: Int, after cursor: Int64?) throws(StoreError) -> StorePage<DeadLetterEntry>
    /// Puts a dead letter back in the outbox due at `now`, attempts reset, same delivery
    /// id; false when there is no such dead letter.
    @discardableResult
    func requeueDeadLetter(deliveryID: String, now: Date) throws(StoreError) -> Bool

    // MARK: Silences

    /// Stores a new silence; false (nothing changed) when the id exists already.
    @discardableResult
    func addSilence(_ record: SilenceRecord) throws(StoreError) -> Bool
    /// Silences newest first by creation, only those ending after `endingAfter` when
    /// given, at most `StoreLimits.maxSilencesListed`.
    func silences(endingAfter date: Date?) throws(StoreError) -> [SilenceRecord]
    /// One silence by id, or nil.
    func silence(id: String) throws(StoreError) -> SilenceRecord?
    /// Rewrites a silence's body and times (its creation time is kept); false when absent.
    @discardableResult
    func replaceSilence(_ record: SilenceRecord) throws(StoreError) -> Bool
    /// Removes a silence; false when there was none.
    @discardableResult
    func deleteSilence(id: String) throws(StoreError) -> Bool

    // MARK: Operators' changes

    /// Makes one operator's change (`addSilence`, `replaceSilence`, `deleteSilence` or
    /// `requeueDeadLetter`, with their rules) and writes `audit`, the record naming who
    /// made it, in ONE transaction: both are durable or neither is. False, and nothing
    /// written, when the change found nothing to change (the silence id taken, or no
    /// such silence or dead letter).
    @discardableResult
    func applyOperatorChange(_ change: OperatorChange, audit: AuditRecord) throws(StoreError) -> Bool

    // MARK: Audit

    /// One page of the audit log, newest first, filtered; `limit` clamped to
    /// `1...StoreLimits.maxPageSize`. Entries written after the first page do not shift
    /// later pages.
    func auditPage(_ filter: AuditFilter, limit: Int, after cursor: Int64?) throws(StoreError) -> StorePage<AuditEntry>
    /// What happened to each delivery of a notification after the outbox, oldest first.
    func deliveryOutcomes(notificationID: String) throws(StoreError) -> [DeliveryOutcomeRecord]
    /// The audit entry of one notification; nil when none was recorded.
    func auditEntry(notificationID: String) throws(StoreError) -> AuditEntry?
    /// A notification's deliveries still in the outbox (attempts so far, last answer,
    /// next attempt), oldest first: with `deliveryOutcomes` this answers "was it delivered?".
    func pendingDeliveries(notificationID: String) throws(StoreError) -> [OutboxRecord]

    // MARK: Directory (SCIM)

    /// Every SCIM resource, in the order first stored (users and groups together).
    func scimResources() throws(StoreError) -> [ScimResourceRecord]
    /// Writes one SCIM change in ONE transaction: the resources upserted (by kind and
    /// id, keeping their first-stored order), the ones deleted, and the audit record.
    /// Durable when it returns (the answer to the client comes after).
    func saveScimChange(_ change: ScimChangeRecord) throws(StoreError)
    /// Writes several SCIM changes, in order, in ONE transaction, as if each were saved
    /// with `saveScimChange` one after the other: either all are durable or none is (on
    /// error nothing is kept and the error is thrown). Group commit for provisioning
    /// bursts: one fsync covers every change of the group (issue #18).
    func saveScimChanges(_ changes: [ScimChangeRecord]) throws(StoreError)
    /// The directory audit log, newest first, at most `limit` (clamped to
    /// `1...StoreLimits.maxPageSize`).
    func directoryAudit(limit: Int) throws(StoreError) -> [DirectoryAuditRecord]
    /// A number that changes whenever a SCIM change is stored, by this process or another
    /// sharing the store (the count of directory audit records, which are written with
    /// every change, in the same transaction, and never pruned): cheap to poll, to know
    /// when `scimResources()` must be read again.
    func directoryVersion() throws(StoreError) -> Int64

    // MARK: Several processes on one store (issue #20)

    /// True when other processes may change this store while this one runs (PostgreSQL):
    /// what they change (silences, SCIM resources) is then re-read every second or so,
    /// and memory of rule states is only a cache (due timers are polled, episodes read
    /// before an action).
    /// False for a store only one process serves (SQLite: the state directory's lock).
    var isShared: Bool { get }

    // MARK: Maintenance lead (several processes on one store, issue #20)

    /// Takes, or keeps, the lead of the maintenance task `task` (e.g. `"retention"`) for
    /// `duration` seconds: true when this process holds it now. Processes sharing one store
    /// ask before each pass; at most one is answered true at a time, and when its holder
    /// stops asking (stopped, crashed, paused) another is answered true once `duration`
    /// has passed since its last renewal. A store that only one process opens answers true.
    func leadMaintenance(_ task: String, for duration: TimeInterval) throws(StoreError) -> Bool
    /// Records that this process runs the config whose hash is `configHash` (again: a
    /// heartbeat), and returns the config hashes of every process that recorded one in
    /// the last `liveWithin` seconds, this one included, sorted and distinct: more than
    /// one means the processes sharing the store disagree. A store that only one process
    /// opens returns `[configHash]`.
    func announceConfig(_ configHash: String, liveWithin: TimeInterval) throws(StoreError) -> [String]

    // MARK: Health

    /// Readiness probe: false when the store cannot take a write now.
    func checkWritable(now: Date) -> Bool
}

/// The bounds every `StateStore` applies, whatever the caller asks: they keep one call's
/// memory and time bounded, and the API documents them.
public enum StoreLimits {
    /// Largest page any listing returns: keeps one API call's memory and time on the
    /// store bounded (the store also serves ingest commits).
    public static let maxPageSize = 500
    /// Most deliveries one fetch returns: bodies are held in memory by the sender, so a
    /// fetch stays bounded and the sender asks again when it has room.
    public static let maxDeliveriesPerFetch = 1_000
    /// Most silences one listing returns. Silences are made by people, a few a day; a
    /// listing this long is already more than anyone reads, and it bounds memory.
    public static let maxSilencesListed = 1_000
    /// Most rule states one due-timer read returns: a poll takes the earliest and comes
    /// back for the rest, so a burst of due timers never makes one huge read.
    public static let maxRuleStatesPerRead = 1_000
    /// Most rows of one table one pruning step deletes: a step is one transaction on the
    /// queue ingest commits also wait on, so it must stay short (≈ 1–3 ms here).
    public static let maxPrunedPerStep = 1_000
}

/// Records older than these times may be pruned (see `StateStore.pruneHistory`).
public struct RetentionCutoffs: Sendable, Equatable {
    public var auditBefore: Date
    public var deliveriesBefore: Date

    public init(auditBefore: Date, deliveriesBefore: Date) {
        self.auditBefore = auditBefore
        self.deliveriesBefore = deliveriesBefore
    }
}

/// What one pruning step did.
public struct PruneStep: Sendable, Equatable {
    public var removed: Int
    /// More may be prunable now: call again.
    public var more: Bool

    public init(removed: Int, more: Bool) {
        self.removed = removed
        self.more = more
    }
}

/// The store's size and contents, for `herald_store_*` metrics.
public struct StoreStatistics: Sendable, Equatable {
    /// Database plus write-ahead log.
    public var fileBytes: Int64
    /// Pages inside the file not in use (given back by `releaseFreeSpace`).
    public var freeBytes: Int64
    /// Rows per table.
    public var rows: [String: Int] = [:]
    /// The oldest record per history table (absent when the table is empty).
    public var oldest: [String: Date] = [:]

    public init(fileBytes: Int64, freeBytes: Int64) {
        self.fileBytes = fileBytes
        self.freeBytes = freeBytes
    }
}

/// Which audit entries a page holds; nil fields do not filter.
public struct AuditFilter: Sendable, Equatable {
    public var subject: String?
    public var rule: String?
    /// Only entries created at or after this time.
    public var since: Date?

    public init(subject: String? = nil, rule: String? = nil, since: Date? = nil) {
        self.subject = subject
        self.rule = rule
        self.since = since
    }
}

// The shorter call shapes, written once for every implementation (a requirement cannot
// have default arguments).
extension StateStore {
    /// `commit(_:)` for one batch.
    public func commit(_ batch: CommitBatch) throws(StoreError) {
        try commit([batch])
    }

    /// Due deliveries, excluding no target.
    public func dueDeliveries(now: Date, limit: Int) throws(StoreError) -> [OutboxRecord] {
        try dueDeliveries(now: now, limit: limit, excludingTargets: [])
    }

    /// `markDelivered(_:)` for one delivery; false when it was not in the outbox.
    @discardableResult
    public func markDelivered(deliveryID: String, status: Int? = nil, at: Date) throws(StoreError) -> Bool {
        try markDelivered([DeliveredRecord(deliveryID: deliveryID, status: status, at: at)]) == 1
    }

    /// The first page of dead letters.
    public func deadLetters(limit: Int) throws(StoreError) -> StorePage<DeadLetterEntry> {
        try deadLetters(limit: limit, after: nil)
    }

    /// Every listed silence, ended or not.
    public func silences() throws(StoreError) -> [SilenceRecord] {
        try silences(endingAfter: nil)
    }

    /// One audit page by the filter's fields.
    public func auditPage(subject: String? = nil, rule: String? = nil, since: Date? = nil,
                          limit: Int, after cursor: Int64? = nil) throws(StoreError) -> StorePage<AuditEntry> {
        try auditPage(AuditFilter(subject: subject, rule: rule, since: since), limit: limit, after: cursor)
    }

    /// The readiness probe, now.
    public func checkWritable() -> Bool {
        checkWritable(now: Date())
    }

    /// One process per store (SQLite: the state directory's lock makes it so): always
    /// the leader.
    public func leadMaintenance(_ task: String, for duration: TimeInterval) throws(StoreError) -> Bool {
        true
    }

    /// Only one process serves the store (SQLite's state directory lock).
    public var isShared: Bool { false }

    /// One writer: its memory is the store, there is no feed to follow.
    public func ruleStateCursor() throws(StoreError) -> RuleStateCursor { .start }

    /// One writer: nothing changes behind its back.
    public func ruleStateChanges(after cursor: RuleStateCursor, limit: Int) throws(StoreError) -> RuleStateChanges {
        RuleStateChanges(rows: [], next: cursor)
    }

    /// One process per store: nobody else can take a row, so every claim holds.
    public func renewClaims(_ deliveryIDs: [String]) throws(StoreError) -> Set<String> {
        Set(deliveryIDs)
    }

    /// One process per store: only its own config.
    public func announceConfig(_ configHash: String, liveWithin: TimeInterval) throws(StoreError) -> [String] {
        [configHash]
    }
}
