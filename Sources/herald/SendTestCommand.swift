import Foundation
import HeraldDaemon

/// `herald send-test`: one sample notice to one target, and the receiver's answer.
enum SendTestCommand {
    static let usage = """
    usage: herald send-test --config FILE --target ID [--user ID]

    Renders a sample notice for the target in its format (reading its secrets as
    `serve` would) and sends it once, printing the receiver's answer. Exits 0 when the
    receiver accepted it (2xx), 1 otherwise. The sample's episode id starts with
    'send-test/', so it never merges with a real alert (PagerDuty: resolve it by hand).

    options:
      --config FILE   the config file
      --target ID     the target to test
      --user ID       the person the sample is addressed to (default: the first active
                      user with this format's contact field, else the first active user)
    """

    static func run(_ arguments: [String]) throws(UsageError) -> Int32 {
        let args = try Arguments(arguments, options: ["--config", "--target", "--user"], flags: [])
        guard let config = args.value("--config") else { throw UsageError("missing --config FILE") }
        guard let target = args.value("--target") else { throw UsageError("missing --target ID") }
        return Output.report("send-test", SendTestTool.run(configPath: config, target: target, user: args.value("--user")))
    }
}
