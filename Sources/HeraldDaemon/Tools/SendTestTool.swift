import Foundation
import HeraldCore
import HeraldDelivery
import HeraldStore

/// `herald send-test`: renders a sample notice for one target exactly as the daemon
/// would (format, secrets, URL from its secret source, headers, signing) and sends it
/// once, printing the receiver's answer — the first thing to do after adding a channel.
/// No state directory is touched and nothing is retried.
public enum SendTestTool {
    /// Longest wait for the answer beyond the target's own timeout.
    static let answerSlack: TimeInterval = 5
    /// Bytes of the receiver's answer printed.
    static let printedAnswerBytes = 2048

    public static func run(configPath: String, target id: String, user: String?) -> Result<String, ToolFailure> {
        let runtime: RuntimeConfig
        do {
            runtime = try RuntimeConfig.load(path: configPath)
        } catch {
            return .failure(ToolFailure(message: error.description))
        }
        let now = Date()
        let notification: HeraldCore.Notification
        switch SampleNotice.notification(target: id, user: user, config: runtime.config, at: now) {
        case .success(let sample): notification = sample
        case .failure(let problem): return .failure(ToolFailure(message: problem.message))
        }
        guard let definition = runtime.config.targets.first(where: { $0.id == id }), let settings = runtime.targets[id] else {
            return .failure(ToolFailure(message: "no target '\(id)'"))
        }
        let person = notification.recipients[0]
        let audience: PlannedDelivery.Audience = definition.mode == .perRecipient || user != nil ? .user(person.id) : .batch
        let delivery = PlannedDelivery(target: id, audience: audience, recipients: [person])
        let body = WebhookPayload.body(notification, delivery: delivery, config: runtime.config, notifiedAt: now)
        let address = Destination(target: id, audience: audience).address(in: runtime.config) ?? ""
        guard let url = address.isEmpty ? settings.url : URL(string: address) else {
            return .failure(ToolFailure(message: "the address of '\(person.id)' on '\(id)' is not a URL"))
        }
        let row = OutboxRecord(deliveryID: "msg_sendtest_\(Int64(now.timeIntervalSince1970 * 1000))", notificationID: notification.id,
                               target: delivery.destination, body: body, createdAt: now, nextAttemptAt: now)
        switch ChannelJobs.job(for: row, body: body, target: id, settings: settings, url: url, runtime: runtime) {
        case .failure(let error): return .failure(ToolFailure(message: error.message))
        case .success(let job): return send(job, format: definition.format, to: person)
        }
    }

    /// Sends `job` once and describes the answer; the URL is shown by host only (the
    /// rest of a chat webhook URL is its credential).
    static func send(_ job: DeliveryJob, format: ChannelFormat, to person: NotifiedPerson) -> Result<String, ToolFailure> {
        let client: WebhookClient
        do {
            client = try WebhookClient()
        } catch {
            return .failure(ToolFailure(message: "cannot start the HTTP client: \(error)"))
        }
        let request = WebhookRequest(url: job.target.url, headers: WebhookDispatcher.requestHeaders(for: job, userAgent: "Herald/\(HeraldVersion.string)"),
                                     body: job.body, connectTimeout: job.target.connectTimeout, timeout: job.target.timeout)
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        client.send(request) { response in
            answer.response = response
            done.signal()
        }
        let finished = done.wait(timeout: .now() + job.target.timeout + answerSlack) == .success
        client.shutdown(deadline: .now() + 1)
        let host = job.target.url.host ?? "?"
        var text = "target '\(job.target.name)' (format \(format.rawValue)) at \(host), sample notice for \(person.name) (\(person.id))\n"
        text += "sent \(job.body.count) bytes, webhook-id \(job.deliveryID)\n"
        guard finished, let response = answer.response else { return .failure(ToolFailure(message: text + "no answer in time")) }
        if let error = response.error { return .failure(ToolFailure(message: text + "failed: \(error.description)")) }
        let status = response.status ?? 0
        text += "answer: \(status) after \(String(format: "%.2f", response.duration)) s\n"
        let excerpt = String(decoding: response.excerpt.prefix(printedAnswerBytes), as: UTF8.self)
        if !excerpt.isEmpty { text += excerpt + (excerpt.hasSuffix("\n") ? "" : "\n") }
        return (200...299).contains(status) ? .success(text) : .failure(ToolFailure(message: text + "the receiver refused the sample (status \(status))"))
    }

    /// The response, handed from the client's callback queue to the waiting thread.
    final class Answer: @unchecked Sendable {
        var response: WebhookResponse?
    }
}
