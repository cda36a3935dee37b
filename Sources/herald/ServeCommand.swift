import Foundation
import HeraldDaemon
import HeraldSupport

/// `herald serve`: run the daemon.
enum ServeCommand {
    static let usage = """
    usage: herald serve --config FILE [--listen ADDRESS] [--state-dir DIR] [--log-level LEVEL]

    Runs Herald: HTTP ingest (POST /v1/events), rule evaluation, durable state in
    SQLite, and signed webhook delivery. SIGHUP reloads the config (a bad config is
    refused and the old one keeps running); SIGTERM or SIGINT drains and exits.

    options:
      --config FILE        the config file (JSON)
      --listen ADDRESS     host:port or [v6]:port; overrides server.listen (default 127.0.0.1:8080)
      --state-dir DIR      where the SQLite state lives; default $STATE_DIRECTORY
                           (set by systemd's StateDirectory=) or ./.herald-state
      --log-level LEVEL    debug, info, notice, warning or error (default info)
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let args = try Arguments(arguments, options: ["--config", "--listen", "--state-dir", "--log-level"], flags: [])
        var level = Logger.Level.info
        if let text = args.value("--log-level") {
            guard let parsed = [Logger.Level.debug, .info, .notice, .warning, .error].first(where: { $0.description == text }) else {
                throw UsageError("--log-level '\(text)' is not one of debug, info, notice, warning, error")
            }
            level = parsed
        }
        let options = DaemonOptions(configPath: try args.required("--config"), listen: args.value("--listen"),
                                    stateDirectory: args.value("--state-dir"), logLevel: level)
        return Daemon.run(options)
    }
}
