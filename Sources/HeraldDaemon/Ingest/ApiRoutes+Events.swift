import Foundation
import HeraldCore
import HeraldServer
import HeraldSupport

/// Ingest: `POST /v1/events`. The request is checked and decoded here; nothing
/// unvalidated reaches the evaluation loop, and the 202 is sent only after the loop
/// reports the commit durable.
extension ApiRoutes {
    func postEvents(_ request: HTTPRequest, _ respond: @escaping HTTPResponder) {
        if let refusal = RequestChecks.requireJSON(request) { return respond(refusal) }
        let config = holder.snapshot.config
        let events: [MetricEvent]
        do {
            var decoder = EventDecoder(maxBatch: config.server.maxBatchEvents)
            if config.server.unknownMetrics == .reject { decoder.isKnownMetric = { config.knowsMetric($0) } }
            events = try decoder.decode(request.body)
        } catch {
            let response = Self.response(for: error)
            metrics.increment(DaemonMetrics.eventsRejected, [("reason", IngestRefusal(error).rawValue)])
            return respond(response)
        }
        metrics.increment(DaemonMetrics.eventsReceived, by: Double(events.count))
        evaluation.submit(events) { result in
            switch result {
            case .success(let summary):
                respond(Self.accepted(summary))
            case .failure(let rejection):
                metrics.increment(DaemonMetrics.eventsRejected, [("reason", IngestRefusal(rejection).rawValue)], by: Double(events.count))
                respond(Self.response(for: rejection))
            }
        }
    }

    /// The 202 body, `{"accepted":n,"duplicates":n,"notifications":n,"unmatched":n}`, written directly:
    /// it answers every accepted request, and `JSONEncoder` was ≈ 3 % of ingest CPU.
    static func accepted(_ summary: EvaluationLoop.Summary) -> HTTPResponse {
        var writer = JSONBytesWriter(capacity: 64)
        writer.beginObject()
        writer.member("accepted", summary.accepted)
        writer.member("duplicates", summary.duplicates)
        writer.member("notifications", summary.notifications)
        writer.member("unmatched", summary.unmatched)
        writer.endObject()
        return HTTPResponse(status: 202, headers: [("Content-Type", "application/json")], body: writer.data)
    }

    /// 400 for malformed JSON, 413 for an oversized batch, 422 for invalid events.
    static func response(for error: EventValidationError) -> HTTPResponse {
        let details = error.problems.map { (path: $0.path, message: $0.message) }
        let refusal = IngestRefusal(error)
        let message = switch error.kind {
        case .malformed: "the body is not valid JSON"
        case .tooMany: error.problems.first?.message ?? "too many events"
        case .invalid: "\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s") in the events; nothing was accepted"
        }
        return .error(status: refusal.status, code: refusal.rawValue, message: message, details: details)
    }

    /// 429 (queue full, retry in 1 s) or 503 (store cannot commit, retry in 5 s).
    static func response(for rejection: EvaluationLoop.Rejection) -> HTTPResponse {
        let refusal = IngestRefusal(rejection)
        switch rejection {
        case .overloaded:
            return .error(status: refusal.status, code: refusal.rawValue, message: "the event queue is full; retry shortly",
                          headers: [("Retry-After", "1")])
        case .unavailable(let why):
            return .error(status: refusal.status, code: refusal.rawValue, message: "\(why); nothing was accepted, retry later",
                          headers: [("Retry-After", "5")])
        }
    }
}
