public import Foundation

/// One measurement posted by an upstream system (contract in DESIGN.md).
public struct MetricEvent: Sendable, Equatable, Codable {
    /// What the measurement is about, e.g. a participant.
    public struct Subject: Sendable, Equatable, Codable {
        public let id: String
        public let type: String?
        public let name: String?

        public init(id: String, type: String? = nil, name: String? = nil) {
            self.id = id
            self.type = type
            self.name = name
        }
    }

    /// Idempotency key: a repeated id is reported as a duplicate and changes nothing.
    public let id: String?
    public let metric: String
    public let value: Double
    public let subject: Subject
    /// When the measurement was taken; when absent, the time Herald received it.
    public let timestamp: Date?
    /// Relation name → user id, e.g. `primary_coordinator` → `u-17`.
    public let relations: [String: String]
    public let labels: [String: String]

    public init(id: String? = nil, metric: String, value: Double, subject: Subject, timestamp: Date? = nil,
                relations: [String: String] = [:], labels: [String: String] = [:]) {
        self.id = id
        self.metric = metric
        self.value = value
        self.subject = subject
        self.timestamp = timestamp
        self.relations = relations
        self.labels = labels
    }
}
