import Foundation
public import HeraldSupport

/// What `herald serve` was asked to do.
public struct DaemonOptions: Sendable {
    public var configPath: String
    /// Overrides the config's `server.listen`.
    public var listen: String?
    /// Where the SQLite state lives; default `$STATE_DIRECTORY` (systemd) or `./.herald-state`.
    public var stateDirectory: String?
    public var logLevel: Logger.Level

    public init(configPath: String, listen: String? = nil, stateDirectory: String? = nil, logLevel: Logger.Level = .info) {
        self.configPath = configPath
        self.listen = listen
        self.stateDirectory = stateDirectory
        self.logLevel = logLevel
    }

    /// The state directory to use: the option, then systemd's `$STATE_DIRECTORY`
    /// (first entry if several), then `./.herald-state`.
    func resolvedStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let stateDirectory { return stateDirectory }
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return String(fromSystemd) }
        return ".herald-state"
    }
}
