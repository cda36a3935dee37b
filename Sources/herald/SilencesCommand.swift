import Foundation
import HeraldDaemon

/// `herald silences list|add|expire|delete`: manage silences straight in the state store,
/// like `herald dead-letters` (a running daemon picks changes up within seconds).
enum SilencesCommand {
    static let usage = """
    usage: herald silences list [--state-dir DIR] [--all] [--json]
           herald silences add --author NAME --comment TEXT (--ends TIMESTAMP | --duration D)
                               [--rule ID] [--subject ID] [--subject-type TYPE] [--label NAME=VALUE]
                               [--starts TIMESTAMP] [--id ID] [--state-dir DIR]
           herald silences expire SILENCE_ID [--state-dir DIR]
           herald silences delete SILENCE_ID [--state-dir DIR]

    A silence holds back notifications matching its rule, subject, subject type and
    labels (all given must match) from its start to its end: they are recorded in the
    audit log as suppressed, with the silence id, and not delivered. Same as
    GET/POST /v1/silences and DELETE /v1/silences/{id} (which expires).

    options:
      --state-dir DIR   the daemon's state directory (default $STATE_DIRECTORY or ./.herald-state)
      --all             also list silences that have ended
      --json            print JSON (the API's form; usable as `herald explain --silences`)
      --label N=V       an event label the notification must carry (only one per command line)
      --starts, --ends  RFC 3339 times; --starts defaults to now
      --duration D      instead of --ends: e.g. 30m, 2h, 1d
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        guard let verb = arguments.first else { throw UsageError("missing verb: list, add, expire or delete") }
        let rest = Array(arguments.dropFirst())
        switch verb {
        case "list":
            let args = try Arguments(rest, options: ["--state-dir"], flags: ["--all", "--json"])
            return Output.report("silences", SilenceTool.list(stateDirectory: args.value("--state-dir"), all: args.has("--all"), json: args.has("--json")))
        case "add":
            let args = try Arguments(rest, options: ["--state-dir", "--id", "--rule", "--subject", "--subject-type", "--label",
                                                     "--starts", "--ends", "--duration", "--author", "--comment"], flags: [])
            var draft = SilenceTool.Draft()
            draft.id = args.value("--id")
            draft.ruleID = args.value("--rule")
            draft.subjectID = args.value("--subject")
            draft.subjectType = args.value("--subject-type")
            if let label = args.value("--label") {
                guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                    throw UsageError("--label '\(label)' must be NAME=VALUE")
                }
                draft.labels[String(label[..<equals])] = String(label[label.index(after: equals)...])
            }
            draft.startsAt = args.value("--starts")
            draft.endsAt = args.value("--ends")
            draft.duration = args.value("--duration")
            draft.author = try args.required("--author")
            draft.comment = try args.required("--comment")
            return Output.report("silences", SilenceTool.add(draft, stateDirectory: args.value("--state-dir")))
        case "expire", "delete":
            guard let id = rest.first, !id.hasPrefix("--") else { throw UsageError("missing SILENCE_ID") }
            let args = try Arguments(Array(rest.dropFirst()), options: ["--state-dir"], flags: [])
            let directory = args.value("--state-dir")
            return Output.report("silences", verb == "expire" ? SilenceTool.expire(id, stateDirectory: directory) : SilenceTool.delete(id, stateDirectory: directory))
        default:
            throw UsageError("unknown verb '\(verb)': use list, add, expire or delete")
        }
    }
}
