import Foundation
import HeraldCore

/// `herald-bench profile WHAT CONFIG [N]`: one hot operation in a loop and nothing else,
/// for `valgrind --tool=callgrind` or `perf record` (perf counters are not available on
/// every VM; callgrind always is). WHAT is `resolve-10k` (group g0 with a rights
/// filter), `decode` (one event), `load` (the config itself), or `audit` / `webhook`
/// (a typical firing notice's audit payload / its webhook bodies, as CommitRowsBench).
enum ProfileMode {
    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
            print("usage: herald-bench profile resolve-10k|decode|load|audit|webhook CONFIG [ITERATIONS]")
            return 2
        }
        let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
        switch arguments[0] {
        case "load":
            for _ in 0..<max(1, iterations / 1000) { Sink.shared.consume((try? ConfigLoader.load(data))?.directory.users.count ?? 0) }
        case "resolve-10k":
            guard let config = try? ConfigLoader.load(data) else { return 1 }
            for _ in 0..<iterations {
                Sink.shared.consume(config.resolver.resolve([.group("g0")], requiredRights: ["participants.view"], event: nil).recipients.count)
            }
        case "decode":
            let event = Data(DecodeBench.event.utf8)
            let decoder = EventDecoder()
            for _ in 0..<iterations { Sink.shared.consume((try? decoder.decode(event))?.count ?? 0) }
        case "audit", "webhook":
            guard let config = try? ConfigLoader.load(data) else { return 1 }
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            var state = EvaluationState()
            let event = ResolveBench.event(users: config.directory.users.count, index: 3)
            guard let notice = Evaluator(config: config).evaluate(event, state: &state, now: now).notifications.first else { return 1 }
            let deliveries = DeliveryPlanner.plan(notice, config: config)
            for _ in 0..<iterations {
                if arguments[0] == "audit" {
                    Sink.shared.consume(NotificationJSON.data(notice).count)
                } else {
                    for delivery in deliveries { Sink.shared.consume(WebhookPayload.body(notice, delivery: delivery, config: config, notifiedAt: now).count) }
                }
            }
        default:
            print("unknown profile target \(arguments[0])")
            return 2
        }
        print("(checksum \(Sink.shared.value))")
        return 0
    }
}
