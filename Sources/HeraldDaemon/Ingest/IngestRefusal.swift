import HeraldCore

/// Why an ingest request was refused: one closed set whose raw value is at once the
/// API error `code`, the `reason` label of `herald_events_rejected_total` and the log
/// key, so a graph, a client's log and the daemon's log name the same thing
/// (STYLE principle 6, Alertmanager's `Reason`).
enum IngestRefusal: String, CaseIterable, Sendable {
    /// The body is not JSON (400).
    case malformedJSON = "malformed_json"
    /// More events than `server.maxBatchEvents` (413).
    case batchTooLarge = "batch_too_large"
    /// At least one event failed validation; nothing was accepted (422).
    case invalidEvent = "invalid_event"
    /// The evaluation queue is full (429, retry shortly).
    case overloaded
    /// The store cannot commit (503, retry later).
    case unavailable

    /// The HTTP status this refusal is answered with.
    var status: Int {
        switch self {
        case .malformedJSON: 400
        case .batchTooLarge: 413
        case .invalidEvent: 422
        case .overloaded: 429
        case .unavailable: 503
        }
    }

    init(_ error: EventValidationError) {
        switch error.kind {
        case .malformed: self = .malformedJSON
        case .tooMany: self = .batchTooLarge
        case .invalid: self = .invalidEvent
        }
    }

    init(_ rejection: EvaluationLoop.Rejection) {
        switch rejection {
        case .overloaded: self = .overloaded
        case .unavailable: self = .unavailable
        }
    }
}
