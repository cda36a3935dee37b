/// The daemon's metric names in one place, so dashboards, docs and code agree
/// (the adapters have theirs: `StoreMetrics`, `DeliveryMetrics`, `HTTPMetrics`).
enum DaemonMetrics {
    // Ingest
    static let eventsReceived = "herald_events_received_total"
    static let eventsRejected = "herald_events_rejected_total"
    static let eventsAccepted = "herald_events_accepted_total"
    static let eventsDuplicate = "herald_events_duplicate_total"
    static let eventsOutOfOrder = "herald_events_out_of_order_total"
    /// Commits refused because another instance wrote the same rule state (or accepted
    /// the same event) first; each is decided again after a re-read (issue #20).
    static let commitConflicts = "herald_commit_conflicts_total"
    static let commitConflictsHelp = "Commits that conflicted with another instance's writes and were decided again after re-reading."
    static let eventsUnmatched = "herald_events_unmatched_total"
    static let queueDepth = "herald_queue_depth"

    // Evaluate
    static let notifications = "herald_notifications_total"
    static let notificationsSuppressed = "herald_notifications_suppressed_total"
    static let notificationsUnrouted = "herald_notifications_unrouted_total"
    static let recipientsUnreachable = "herald_recipients_unreachable_total"
    static let reloadRederivedStates = "herald_reload_rederived_states_total"
    static let ruleStates = "herald_rule_states"
    static let ruleStatesForgotten = "herald_rule_states_forgotten_total"
    static let eventIDsRemembered = "herald_event_ids_remembered"
    static let eventIDsForgottenEarly = "herald_event_ids_forgotten_early_total"

    // Deliver
    static let outboxDepth = "herald_outbox_depth"
    static let deadLetters = "herald_dead_letters_total"
    /// Committed rows not pushed to delivery because `DeliveryEngine.maxPushedRowsWaiting`
    /// were already waiting; the poll sends them.
    static let pushesDeferred = "herald_delivery_pushes_deferred_total"
    static let deliveryLatency = "herald_delivery_latency_seconds"
    /// Gauges per target: rows waiting, and 1 while the backlog is at `maxBacklog`.
    static let targetBacklog = "herald_target_backlog"
    static let targetBacklogFull = "herald_target_backlog_full"
    /// Shared outbox (PostgreSQL): claims renewed on rows held in memory, and rows not
    /// sent because their claim may have run out while they waited.
    static let claimsRenewed = "herald_outbox_claims_renewed_total"
    static let claimsLapsed = "herald_outbox_claims_lapsed_total"

    // API and runtime
    static let ackLinksRefused = "herald_ack_links_refused_total"
    static let configReloads = "herald_config_reloads_total"
    static let scimChanges = "herald_scim_changes_total"
    static let scimRefused = "herald_scim_refused_total"
    static let scimChangeSeconds = "herald_scim_change_seconds"
    static let scimCommitBatchSize = "herald_scim_commit_batch_size"
    static let scimCommitSeconds = "herald_scim_commit_seconds"
    static let buildInfo = "herald_build_info"
}
