public import Foundation
public import HeraldCore

/// Paths and files of the repository, for tests that use the shipped examples.
public enum Fixtures {
    /// The repository root (this file is Tests/HeraldTestKit/Fixtures.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent(relativePath)
    }

    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// The seed example config shipped in Config/example.json.
    public static func exampleConfig() throws -> HeraldConfig {
        try ConfigLoader.load(try data("Config/example.json"))
    }
}

/// Builds configs from JSON text written inline in a test.
public enum TestConfig {
    /// Loads config JSON text; throws the `ConfigError` with every issue.
    public static func load(_ json: String) throws -> HeraldConfig {
        try ConfigLoader.load(Data(json.utf8))
    }

    /// The issues a config JSON text produces (empty if it loads).
    public static func issues(_ json: String) -> [ConfigIssue] {
        do {
            _ = try ConfigLoader.load(Data(json.utf8))
            return []
        } catch {
            return error.issues
        }
    }

    /// A minimal valid directory (an owner and nothing else) to embed rules in.
    public static let ownerOnlyUsers = #"[{"id": "owner", "name": "Owner", "owner": true}]"#
}

/// A fixed point in time and offsets from it, so tests read as a timeline.
public struct Timeline: Sendable {
    public let start: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.start = start }

    /// `start` plus the given number of minutes.
    public func at(minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }
}

/// Event builders.
public enum TestEvent {
    public static func make(_ metric: String = "utilisation_variance", value: Double, subject: String = "p-1",
                            at time: Date? = nil, id: String? = nil, relations: [String: String] = [:],
                            labels: [String: String] = [:]) -> MetricEvent {
        MetricEvent(id: id, metric: metric, value: value, subject: .init(id: subject, type: "participant"),
                    timestamp: time, relations: relations, labels: labels)
    }
}
