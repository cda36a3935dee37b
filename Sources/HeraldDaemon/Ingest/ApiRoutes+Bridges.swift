import Foundation
import HeraldCore
import HeraldServer
import HeraldSupport

/// Ingest from other alerting systems: `POST /v1/bridges/alertmanager` and
/// `/v1/bridges/grafana`. Checked in the order of `/v1/events` (auth, content type,
/// signature, body); each alert the mapping cannot use is refused on its own — counted,
/// logged once and listed in the answer — while the others go the same way as events
/// posted directly, answered only once committed.
extension ApiRoutes {
    /// The route of one bridge: credentials and content type are refused from the head,
    /// before any body byte is read; the signature needs the body, so it waits for it.
    func bridgeHandler(_ kind: BridgeKind) -> HTTPHandler {
        ClosureHandler({ postBridge(kind, $0, $1) }, beforeBody: { [holder] head in
            BridgeAuthentication(kind: kind, runtime: holder.snapshot).check(head) ?? RequestChecks.requireJSON(head)
        })
    }

    func postBridge(_ kind: BridgeKind, _ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        let runtime = holder.snapshot
        if let refusal = BridgeAuthentication(kind: kind, runtime: runtime).check(request) { return respond(refusal) }
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        if kind == .grafana, let settings = runtime.config.bridges.grafana.hmac, let key = runtime.bridges.grafanaHMACKey,
           let refusal = GrafanaSignature(settings: settings, key: key).check(request, now: Date()) {
            return respond(refusal)
        }
        let batch: BridgeBatch
        do {
            batch = try BridgeIngest.decode(kind, request.body, config: runtime.config,
                                            maxAlerts: runtime.config.server.maxBatchEvents, now: Date())
        } catch {
            metrics.increment(DaemonMetrics.eventsRejected, [("reason", IngestRefusal(error).rawValue)])
            return respond(Self.response(for: error))
        }
        metrics.increment(DaemonMetrics.bridgeAlertsReceived, [("bridge", kind.rawValue)], by: Double(batch.accepted.count + batch.refused.count),
                          help: "Alerts in bridge requests whose body was an alert envelope.")
        for refusal in batch.refused { recordRefusal(refusal, kind) }
        guard !batch.accepted.isEmpty else {
            if batch.refused.isEmpty { return respond(Self.json(Self.bridgeAnswer(batch, EvaluationLoop.Summary()), status: 202)) }
            let count = batch.refused.count
            return respond(.error(status: 422, code: "no_alert_accepted",
                                  message: "none of the \(count) alert\(count == 1 ? "" : "s") could become an event; nothing was accepted",
                                  details: batch.refused.map { (path: $0.path, message: $0.message) }))
        }
        let events = batch.events
        metrics.increment(DaemonMetrics.eventsReceived, by: Double(events.count))
        evaluation.submit(events) { result in
            switch result {
            case .success(let summary):
                respond(Self.json(Self.bridgeAnswer(batch, summary), status: 202))
            case .failure(let rejection):
                // 503 even when the queue is full: Alertmanager and Grafana retry only 5xx.
                let refusal = IngestRefusal(rejection)
                metrics.increment(DaemonMetrics.eventsRejected, [("reason", refusal.rawValue)], by: Double(events.count))
                respond(.error(status: 503, code: refusal.rawValue, message: "\(Self.why(rejection)); nothing was accepted, retry later",
                               headers: [("Retry-After", refusal == .overloaded ? "1" : "5")]))
            }
        }
    }

    /// Counts and logs one refused alert: the sender sees 2xx for the group and will not
    /// retry, so the operator must be able to find it.
    private func recordRefusal(_ refusal: BridgeRefusal, _ kind: BridgeKind) {
        metrics.increment(DaemonMetrics.bridgeAlertsRefused, [("bridge", kind.rawValue), ("reason", refusal.reason.rawValue)],
                          help: "Alerts a bridge could not turn into an event, by bridge and reason.")
        logger.warning("bridge alert refused, ignoring it", [
            "bridge": kind.rawValue, "reason": refusal.reason.rawValue, "alert.path": refusal.path,
            "alert.fingerprint": refusal.fingerprint ?? "-", "problem": refusal.message,
        ])
    }

    private static func why(_ rejection: EvaluationLoop.Rejection) -> String {
        switch rejection {
        case .overloaded: "the event queue is full"
        case .unavailable(let why): why
        }
    }

    /// The 202 body: the summary of `/v1/events`, each alert that became an event, and
    /// each refused one with its reason.
    static func bridgeAnswer(_ batch: BridgeBatch, _ summary: EvaluationLoop.Summary) -> [String: Any] {
        let alerts = batch.accepted.map { alert -> [String: Any] in
            var object: [String: Any] = ["index": alert.index, "status": alert.status.rawValue, "eventId": alert.event.id ?? "",
                                         "metric": alert.event.metric, "subject": alert.event.subject.id, "value": alert.event.value]
            if let fingerprint = alert.fingerprint { object["fingerprint"] = fingerprint }
            return object
        }
        let refused = batch.refused.map { refusal -> [String: Any] in
            var object: [String: Any] = ["index": refusal.index, "reason": refusal.reason.rawValue, "path": refusal.path, "message": refusal.message]
            if let fingerprint = refusal.fingerprint { object["fingerprint"] = fingerprint }
            return object
        }
        return ["accepted": summary.accepted, "duplicates": summary.duplicates, "notifications": summary.notifications,
                "unmatched": summary.unmatched, "alerts": alerts, "refused": refused]
    }
}

extension DaemonMetrics {
    static let bridgeAlertsReceived = "herald_bridge_alerts_received_total"
    static let bridgeAlertsRefused = "herald_bridge_alerts_refused_total"
}
