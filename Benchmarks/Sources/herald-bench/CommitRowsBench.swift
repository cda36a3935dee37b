import Foundation
import HeraldCore

/// What the evaluation queue does per notification and per changed rule state before
/// the commit (`CommitPlanner.rows` in HeraldDaemon, built from these HeraldCore calls):
/// the webhook body, the audit payload and the rule state's stored JSON (all written by
/// `JSONBytesWriter`). The Foundation encoders they replaced are timed next to them.
struct CommitRowsBench {
    let config: HeraldConfig
    let budget: Double
    let maxIterations: Int

    func run(into table: inout FigureTable) {
        let users = config.directory.users.count
        guard let notification = sampleNotification() else { return }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let recipients = notification.recipients.count
        let note = "\(recipients) recipients, \(notification.excluded.count) excluded"
        let deliveries = DeliveryPlanner.plan(notification, config: config)
        let body = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
            for delivery in deliveries {
                Sink.shared.consume(WebhookPayload.body(notification, delivery: delivery, config: config, notifiedAt: now).count)
            }
        }
        table.add("commit rows", "webhook body (WebhookPayload.body, JSONBytesWriter)", body.microsecondsEach, "µs", users: users, note: note)
        let object = NotificationJSON.object(notification)
        for (name, options) in [("audit payload, JSONSerialization sortedKeys", JSONSerialization.WritingOptions([.sortedKeys, .withoutEscapingSlashes])),
                                ("audit payload, JSONSerialization unsorted", JSONSerialization.WritingOptions([.withoutEscapingSlashes]))] {
            let rate = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
                Sink.shared.consume((try? JSONSerialization.data(withJSONObject: object, options: options))?.count ?? 0)
            }
            table.add("commit rows", name, rate.microsecondsEach, "µs", users: users, note: note)
        }
        let serialized = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        let identical = serialized == NotificationJSON.data(notification)
        let encoded = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
            Sink.shared.consume(NotificationJSON.data(notification).count)
        }
        table.add("commit rows", "audit payload, NotificationJSON.data (JSONBytesWriter)", encoded.microsecondsEach, "µs", users: users,
                  note: identical ? "same bytes as JSONSerialization" : "DIFFERENT bytes from JSONSerialization")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let sortedEncoder = JSONEncoder()
        sortedEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let eventRate = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
            Sink.shared.consume((try? sortedEncoder.encode(notification.event))?.count ?? 0)
        }
        table.add("commit rows", "  for scale: JSONEncoder sortedKeys, the event", eventRate.microsecondsEach, "µs", users: users)
        var state = RuleState(tierSignature: config.rules[0].tierSignature)
        state.lastEventAt = now
        state.told = notification.recipients.map(\.id)
        let stateRate = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
            Sink.shared.consume(state.storedData().count)
        }
        table.add("commit rows", "rule state JSON (RuleState.storedData, every changed state)", stateRate.microsecondsEach, "µs",
                  users: users, note: "\(state.told.count) told")
        let stateEncoderRate = Measure.rate(maxIterations: maxIterations / 10, budget: budget, block: 16) { _ in
            Sink.shared.consume((try? encoder.encode(state))?.count ?? 0)
        }
        table.add("commit rows", "  baseline: the same state through JSONEncoder", stateEncoderRate.microsecondsEach, "µs", users: users)
    }

    /// A firing notification of a typical tier, from the real evaluator.
    private func sampleNotification() -> HeraldCore.Notification? {
        let users = config.directory.users.count
        let event = ResolveBench.event(users: users, index: 3)
        var state = EvaluationState()
        let outcome = Evaluator(config: config).evaluate(event, state: &state, now: Date(timeIntervalSince1970: 1_800_000_000))
        return outcome.notifications.first
    }
}
