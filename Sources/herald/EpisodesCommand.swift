import Foundation

/// `herald episodes list|ack|unack|resolve`: what is going on, and acting on it, against
/// a running daemon (`--url`). Episodes live in the daemon's memory and are changed only
/// through its evaluation queue, so there is no local-file mode for this command.
enum EpisodesCommand {
    static let usage = """
    usage: herald episodes list [--state open|acknowledged|resolved] [--rule ID] [--subject ID] [--limit N] [--json] --url URL
           herald episodes ack|unack|resolve EPISODE_ID [--user USER_ID] [--json] --url URL

    Lists episodes (GET /v1/episodes; open ones by default) as an aligned table, or
    acknowledges, gives back or resolves one (POST /v1/episodes/<verb>): as USER_ID with
    --user (token scope ack or admin), else as the operator behind an admin token.

    options:
      --url URL          the running daemon, e.g. http://127.0.0.1:8080
      --token-file FILE  file holding the API token (default: $HERALD_TOKEN)
      --json             print the API's JSON answer
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        guard let verb = arguments.first else { throw UsageError("missing verb: list, ack, unack or resolve") }
        switch verb {
        case "list":
            let args = try Arguments(Array(arguments.dropFirst()), options: RemoteClient.options.union(["--state", "--rule", "--subject", "--limit"]),
                                     flags: ["--json"])
            guard let client = try RemoteClient.from(args) else { throw UsageError("episodes needs --url (the running daemon)") }
            let query = [("state", args.value("--state") ?? "open"), ("rule", args.value("--rule")), ("subject", args.value("--subject")),
                         ("limit", args.value("--limit"))].compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
            return report(client.send("GET", "/v1/episodes", query: query), json: args.has("--json"), render: table)
        case "ack", "unack", "resolve":
            guard arguments.count >= 2, !arguments[1].hasPrefix("--") else { throw UsageError("missing EPISODE_ID") }
            let args = try Arguments(Array(arguments.dropFirst(2)), options: RemoteClient.options.union(["--user"]), flags: ["--json"])
            guard let client = try RemoteClient.from(args) else { throw UsageError("episodes needs --url (the running daemon)") }
            var body = ["episode": arguments[1]]
            if let user = args.value("--user") { body["user"] = user }
            return report(client.send("POST", "/v1/episodes/\(verb)", body: body), json: args.has("--json")) { answer in
                let by = answer["acknowledgedBy"] as? String
                return "\(answer["action"] as? String ?? verb) \(answer["changed"] as? Bool == false ? "changed nothing" : "done") by \(answer["actor"] as? String ?? "?")"
                    + (by.map { "; acknowledged by \($0)" } ?? "") + "\n"
            }
        default:
            throw UsageError("unknown verb '\(verb)': use list, ack, unack or resolve")
        }
    }

    static func table(_ answer: [String: Any]) -> String {
        let episodes = answer["episodes"] as? [[String: Any]] ?? []
        guard !episodes.isEmpty else { return "no episodes\n" }
        let rows = episodes.map { e -> [String] in
            let subject = e["subject"] as? [String: Any]
            return [e["state"] as? String ?? "", (e["rule"] as? [String: Any])?["id"] as? String ?? "", subject?["id"] as? String ?? "",
                    e["tier"] as? String ?? "-", e["startedAt"] as? String ?? "-", e["acknowledgedBy"] as? String ?? "-",
                    e["escalationDueAt"] as? String ?? "-", e["id"] as? String ?? ""]
        }
        return TextTable.render(["STATE", "RULE", "SUBJECT", "TIER", "STARTED", "ACK BY", "NEXT STEP", "EPISODE"], rows)
    }

    /// Prints a remote answer (table or JSON) or the API's error (exit 1).
    static func report(_ result: Result<[String: Any], RemoteClient.Failure>, json: Bool, command: String = "episodes",
                       render: ([String: Any]) -> String) -> Int32 {
        switch result {
        case .success(let answer):
            Output.out(json ? TextTable.json(answer) : render(answer))
            return ExitStatus.success
        case .failure(let failure):
            Output.err("herald \(command): \(failure.message)\n")
            return ExitStatus.invalidInput
        }
    }
}
