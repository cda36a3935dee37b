import Foundation
import HeraldDaemon

/// `herald dead-letters list|retry`: inspect and re-queue failed deliveries straight in
/// the state store (SQLite in WAL mode allows this while the daemon runs; the daemon
/// picks re-queued rows up at its next outbox poll).
enum DeadLettersCommand {
    static let usage = """
    usage: herald dead-letters list [--state-dir DIR] [--limit N] [--json]
           herald dead-letters retry DELIVERY_ID [--state-dir DIR]

    Lists deliveries that failed for good (last status, error, response excerpt), or
    puts one back in the outbox to be sent again. Same as GET /v1/dead-letters and
    POST /v1/dead-letters/{id}/retry.

    options:
      --state-dir DIR   the daemon's state directory (default $STATE_DIRECTORY or ./.herald-state)
      --limit N         most entries to list (default 100)
      --json            print JSON
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        guard let verb = arguments.first else { throw UsageError("missing verb: list or retry") }
        switch verb {
        case "list":
            let args = try Arguments(Array(arguments.dropFirst()), options: ["--state-dir", "--limit"], flags: ["--json"])
            let limit = try args.value("--limit").map { text throws(UsageError) -> Int in
                guard let n = Int(text), n > 0 else { throw UsageError("--limit '\(text)' must be a positive whole number") }
                return n
            } ?? 100
            return Output.report("dead-letters", DeadLetterTool.list(stateDirectory: args.value("--state-dir"), limit: limit, json: args.has("--json")))
        case "retry":
            guard arguments.count >= 2, !arguments[1].hasPrefix("--") else { throw UsageError("missing DELIVERY_ID") }
            let args = try Arguments(Array(arguments.dropFirst(2)), options: ["--state-dir"], flags: [])
            return Output.report("dead-letters", DeadLetterTool.retry(arguments[1], stateDirectory: args.value("--state-dir")))
        default:
            throw UsageError("unknown verb '\(verb)': use list or retry")
        }
    }
}
