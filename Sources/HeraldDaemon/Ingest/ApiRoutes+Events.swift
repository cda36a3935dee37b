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
            events = try EventDecoder(maxBatch: config.server.maxBatchEvents).decode(request.body)
        } catch {
            let response = Self.response(for: error)
            // The metric's reason is the API error code, so a graph and a client log agree.
            metrics.increment("herald_events_rejected_total", [("reason", Self.code(for: error))])
            return respond(response)
        }
        metrics.increment("herald_events_received_total", by: Double(events.count))
        evaluation.submit(events) { result in
            switch result {
            case .success(let summary):
                respond(Self.accepted(summary))
            case .failure(.overloaded):
                metrics.increment("herald_events_rejected_total", [("reason", "overloaded")], by: Double(events.count))
                respond(.error(status: 429, code: "overloaded", message: "the event queue is full; retry shortly",
                               headers: [("Retry-After", "1")]))
            case .failure(.unavailable(let why)):
                metrics.increment("herald_events_rejected_total", [("reason", "unavailable")], by: Double(events.count))
                respond(.error(status: 503, code: "unavailable", message: "\(why); nothing was accepted, retry later",
                               headers: [("Retry-After", "5")]))
            }
        }
    }

    /// The 202 body, `{"accepted":n,"duplicates":n,"notifications":n}`, written directly:
    /// it answers every accepted request, and `JSONEncoder` was ≈ 3 % of ingest CPU.
    static func accepted(_ summary: EvaluationLoop.Summary) -> HTTPResponse {
        var writer = JSONBytesWriter(capacity: 64)
        writer.beginObject()
        writer.member("accepted", summary.accepted)
        writer.member("duplicates", summary.duplicates)
        writer.member("notifications", summary.notifications)
        writer.endObject()
        return HTTPResponse(status: 202, headers: [("Content-Type", "application/json")], body: writer.data)
    }

    static func code(for error: EventValidationError) -> String {
        switch error.kind {
        case .malformed: "malformed_json"
        case .tooMany: "batch_too_large"
        case .invalid: "invalid_event"
        }
    }

    /// 400 for malformed JSON, 413 for an oversized batch, 422 for invalid events.
    static func response(for error: EventValidationError) -> HTTPResponse {
        let details = error.problems.map { (path: $0.path, message: $0.message) }
        switch error.kind {
        case .malformed:
            return .error(status: 400, code: "malformed_json", message: "the body is not valid JSON", details: details)
        case .tooMany:
            return .error(status: 413, code: "batch_too_large", message: error.problems.first?.message ?? "too many events", details: details)
        case .invalid:
            let count = error.problems.count
            return .error(status: 422, code: "invalid_event",
                          message: "\(count) problem\(count == 1 ? "" : "s") in the events; nothing was accepted", details: details)
        }
    }
}
