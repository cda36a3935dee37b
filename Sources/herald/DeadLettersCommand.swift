import Foundation
import HeraldDaemon

/// `herald dead-letters list|retry`: inspect and re-queue failed deliveries straight in
/// the state store (SQLite in WAL mode allows this while the daemon runs; the daemon
/// picks re-queued rows up at its next outbox poll).
enum DeadLettersCommand {
    static let usage = """
    usage: herald dead-letters list [--state-dir DIR | --url URL] [--limit N] [--json]
           herald dead-letters retry DELIVERY_ID [--state-dir DIR | --url URL]

    Lists deliveries that failed for good (last status, error, response excerpt), or
    puts one back in the outbox to be sent again. Same as GET /v1/dead-letters and
    POST /v1/dead-letters/{id}/retry. A re-queue is in the audit log: as
    operator:<token id> through --url, as local:<user> on the state directory.

    options:
      --state-dir DIR   the daemon's state directory (default $STATE_DIRECTORY or ./.herald-state)
      --url URL         a running daemon instead (token: --token-file FILE or $HERALD_TOKEN)
      --limit N         most entries to list (default 100)
      --json            print JSON
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        guard let verb = arguments.first else { throw UsageError("missing verb: list or retry") }
        switch verb {
        case "list":
            let args = try Arguments(Array(arguments.dropFirst()), options: RemoteClient.options.union(["--state-dir", "--limit"]), flags: ["--json"])
            let limit = try args.value("--limit").map { text throws(UsageError) -> Int in
                guard let n = Int(text), n > 0 else { throw UsageError("--limit '\(text)' must be a positive whole number") }
                return n
            } ?? 100
            if let client = try RemoteClient.from(args) {
                return EpisodesCommand.report(client.send("GET", "/v1/dead-letters", query: [URLQueryItem(name: "limit", value: String(limit))]),
                                              json: args.has("--json"), command: "dead-letters", render: table)
            }
            return Output.report("dead-letters", DeadLetterTool.list(stateDirectory: args.value("--state-dir"), limit: limit, json: args.has("--json")))
        case "retry":
            guard arguments.count >= 2, !arguments[1].hasPrefix("--") else { throw UsageError("missing DELIVERY_ID") }
            let args = try Arguments(Array(arguments.dropFirst(2)), options: RemoteClient.options.union(["--state-dir"]), flags: [])
            if let client = try RemoteClient.from(args) {
                return EpisodesCommand.report(client.send("POST", "/v1/dead-letters/\(arguments[1])/retry"), json: false,
                                              command: "dead-letters") { _ in "re-queued \(arguments[1])\n" }
            }
            return Output.report("dead-letters", DeadLetterTool.retry(arguments[1], stateDirectory: args.value("--state-dir")))
        default:
            throw UsageError("unknown verb '\(verb)': use list or retry")
        }
    }

    /// The remote listing as an aligned table.
    static func table(_ answer: [String: Any]) -> String {
        let items = answer["deadLetters"] as? [[String: Any]] ?? []
        guard !items.isEmpty else { return "no dead letters\n" }
        return TextTable.render(["DELIVERY", "TARGET", "ATTEMPTS", "STATUS", "ERROR"], items.map { d in
            [d["deliveryId"] as? String ?? "", d["destination"] as? String ?? "", String(d["attempts"] as? Int ?? 0),
             (d["lastStatus"] as? Int).map(String.init) ?? "-", d["lastError"] as? String ?? ""]
        })
    }
}
