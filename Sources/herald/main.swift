import Foundation
import HeraldCore

/// `herald <command> [options]`: the command line of the Herald daemon.
let usage = """
usage: herald <command> [options]

Herald routes metric events to the right people by role, group, relation and access
right, and delivers them as signed webhooks.

commands:
  serve          run the daemon (HTTP ingest, evaluation, SQLite state, webhooks)
  check          validate a config file
  explain        show what events would do and who would be told
  episodes       list episodes of a running daemon, acknowledge or resolve one
  dead-letters   list failed deliveries or re-queue one
  silences       list, add, expire or delete silences
  send-test      send a sample notice to one target and print its answer
  help           show this help, or a command's help (herald help explain)

options:
  --help, -h    show help (also after a command: herald check --help)
  --version     print the version
"""

let commands: [String: (usage: String, run: ([String]) throws(UsageError) -> Int32)] = [
    "check": (CheckCommand.usage, CheckCommand.run),
    "explain": (ExplainCommand.usage, ExplainCommand.run),
    "serve": (ServeCommand.usage, ServeCommand.run),
    "episodes": (EpisodesCommand.usage, EpisodesCommand.run),
    "dead-letters": (DeadLettersCommand.usage, DeadLettersCommand.run),
    "silences": (SilencesCommand.usage, SilencesCommand.run),
    "send-test": (SendTestCommand.usage, SendTestCommand.run),
]

@MainActor func main(_ arguments: [String]) -> Int32 {
    guard let name = arguments.first else {
        Output.err(usage + "\n")
        return ExitStatus.usage
    }
    switch name {
    case "--help", "-h":
        Output.out(usage + "\n")
        return ExitStatus.success
    case "help":
        if let topic = arguments.dropFirst().first, let command = commands[topic] { Output.out(command.usage + "\n") } else { Output.out(usage + "\n") }
        return ExitStatus.success
    case "--version":
        Output.out("herald \(HeraldVersion.string)\n")
        return ExitStatus.success
    default:
        break
    }
    guard let command = commands[name] else {
        Output.err("herald: unknown command '\(name)'\n\n" + usage + "\n")
        return ExitStatus.usage
    }
    let rest = Array(arguments.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        Output.out(command.usage + "\n")
        return ExitStatus.success
    }
    do {
        return try command.run(rest)
    } catch {
        Output.err("herald \(name): \(error.message)\n\n" + command.usage + "\n")
        return ExitStatus.usage
    }
}

exit(main(Array(CommandLine.arguments.dropFirst())))
