import Foundation
import HeraldDaemon

/// `herald silences list|add|expire|delete`: manage silences straight in the state store,
/// like `herald dead-letters` (a running daemon picks changes up within seconds).
enum SilencesCommand {
    static let usage = """
    usage: herald silences list [--state-dir DIR | --url URL] [--all] [--json]
           herald silences add --author NAME --comment TEXT (--ends TIMESTAMP | --duration D)
                               [--rule ID [--config FILE]] [--subject ID] [--subject-type TYPE]
                               [--label NAME=VALUE]... [--starts TIMESTAMP] [--id ID] [--state-dir DIR | --url URL]
           herald silences expire SILENCE_ID [--state-dir DIR | --url URL]
           herald silences delete SILENCE_ID [--state-dir DIR | --url URL]

    A silence holds back notifications matching its rule, subject, subject type and
    labels (all given must match) from its start to its end: they are recorded in the
    audit log as suppressed, with the silence id, and not delivered. Same as
    GET/POST /v1/silences and DELETE /v1/silences/{id} (which expires; with ?purge=true
    it deletes, as `delete` does). Every change is in the audit log: as operator:<token id>
    through --url, as local:<user> on the state directory.

    options:
      --state-dir DIR   the daemon's state directory (default $STATE_DIRECTORY or ./.herald-state)
      --url URL         a running daemon instead (token: --token-file FILE or $HERALD_TOKEN, scope admin to change)
      --all             also list silences that have ended
      --json            print JSON (the API's form; usable as `herald explain --silences`)
      --label N=V       an event label the notification must carry; repeat for several
                        (all must match). Values are compared literally: '.*' or '~x'
                        match only those exact strings, never as patterns
      --rule ID         the rule's id; refused if unknown (checked by the daemon with --url,
                        else against --config FILE)
      --id ID           letters, digits, '.', '_', ':' and '-' (default: sil-<12 hex>)
      --starts, --ends  RFC 3339 times; --starts defaults to now
      --duration D      instead of --ends: e.g. 30m, 2h, 1d
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        guard let verb = arguments.first else { throw UsageError("missing verb: list, add, expire or delete") }
        let rest = Array(arguments.dropFirst())
        switch verb {
        case "list":
            let args = try Arguments(rest, options: RemoteClient.options.union(["--state-dir"]), flags: ["--all", "--json"])
            if let client = try RemoteClient.from(args) {
                return EpisodesCommand.report(client.send("GET", "/v1/silences"), json: args.has("--json"), command: "silences") {
                    table($0, all: args.has("--all"))
                }
            }
            return Output.report("silences", SilenceTool.list(stateDirectory: args.value("--state-dir"), all: args.has("--all"), json: args.has("--json")))
        case "add":
            let args = try Arguments(rest, options: RemoteClient.options.union(["--state-dir", "--id", "--rule", "--subject", "--subject-type", "--label",
                                                     "--starts", "--ends", "--duration", "--author", "--comment", "--config"]), flags: [])
            var draft = SilenceTool.Draft()
            draft.id = args.value("--id")
            draft.ruleID = args.value("--rule")
            draft.subjectID = args.value("--subject")
            draft.subjectType = args.value("--subject-type")
            for label in args.allValues("--label") {
                guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                    throw UsageError("--label '\(label)' must be NAME=VALUE")
                }
                let name = String(label[..<equals])
                guard draft.labels[name] == nil else { throw UsageError("--label '\(name)' is given twice") }
                draft.labels[name] = String(label[label.index(after: equals)...])
            }
            draft.startsAt = args.value("--starts")
            draft.endsAt = args.value("--ends")
            draft.duration = args.value("--duration")
            draft.author = try args.required("--author")
            draft.comment = try args.required("--comment")
            if let client = try RemoteClient.from(args) {
                return EpisodesCommand.report(client.send("POST", "/v1/silences", body: remoteBody(draft)), json: false, command: "silences") {
                    "added silence \($0["id"] as? String ?? "?") until \($0["endsAt"] as? String ?? "?")\n"
                }
            }
            // Locally the store does not know the rules, the config does (remotely the API checks).
            if let rule = draft.ruleID {
                guard let configPath = args.value("--config") else {
                    throw UsageError("--rule needs --config FILE, to check that the rule exists")
                }
                if let problem = SilenceTool.unknownRuleProblem(rule, configPath: configPath) {
                    Output.err("herald silences: \(problem)\n")
                    return ExitStatus.invalidInput
                }
            }
            return Output.report("silences", SilenceTool.add(draft, stateDirectory: args.value("--state-dir")))
        case "expire", "delete":
            guard let id = rest.first, !id.hasPrefix("--") else { throw UsageError("missing SILENCE_ID") }
            let args = try Arguments(Array(rest.dropFirst()), options: RemoteClient.options.union(["--state-dir"]), flags: [])
            if let client = try RemoteClient.from(args) {
                let path = "/v1/silences/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id)
                if verb == "delete" {
                    return EpisodesCommand.report(client.send("DELETE", path, query: [URLQueryItem(name: "purge", value: "true")]), json: false,
                                                  command: "silences") { _ in "deleted silence \(id)\n" }
                }
                return EpisodesCommand.report(client.send("DELETE", path), json: false, command: "silences") { _ in "expired \(id)\n" }
            }
            let directory = args.value("--state-dir")
            return Output.report("silences", verb == "expire" ? SilenceTool.expire(id, stateDirectory: directory) : SilenceTool.delete(id, stateDirectory: directory))
        default:
            throw UsageError("unknown verb '\(verb)': use list, add, expire or delete")
        }
    }

    /// The API's form of a silence (`POST /v1/silences`).
    static func remoteBody(_ draft: SilenceTool.Draft) -> [String: Any] {
        var matcher: [String: Any] = [:]
        if let v = draft.ruleID { matcher["ruleID"] = v }
        if let v = draft.subjectID { matcher["subjectID"] = v }
        if let v = draft.subjectType { matcher["subjectType"] = v }
        if !draft.labels.isEmpty { matcher["labels"] = draft.labels }
        var body: [String: Any] = ["matcher": matcher, "author": draft.author ?? "", "comment": draft.comment ?? ""]
        if let v = draft.id { body["id"] = v }
        if let v = draft.startsAt { body["startsAt"] = v }
        if let v = draft.endsAt { body["endsAt"] = v }
        if let v = draft.duration { body["duration"] = v }
        return body
    }

    /// The remote listing as an aligned table; ended silences only with `--all`.
    static func table(_ answer: [String: Any], all: Bool) -> String {
        let items = (answer["silences"] as? [[String: Any]] ?? []).filter { all || $0["status"] as? String != "expired" }
        guard !items.isEmpty else { return "no silences\n" }
        return TextTable.render(["ID", "STATUS", "ENDS", "AUTHOR", "MATCHER", "COMMENT"], items.map { s in
            let matcher = (s["matcher"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return [s["id"] as? String ?? "", s["status"] as? String ?? "", s["endsAt"] as? String ?? "", s["author"] as? String ?? "",
                    matcher, s["comment"] as? String ?? ""]
        })
    }
}
