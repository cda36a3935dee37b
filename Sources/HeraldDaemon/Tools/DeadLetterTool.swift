import Foundation
import HeraldCore
import HeraldStore

/// The store side of `herald dead-letters`: list and re-queue without the daemon.
public enum DeadLetterTool {
    public typealias Failure = ToolFailure

    public static func list(stateDirectory: String?, limit: Int, json: Bool) -> Result<String, Failure> {
        LocalState.run(stateDirectory) { store in
            let page = try store.deadLetters(limit: min(limit, StoreLimits.maxPageSize))
            if json {
                let notices = LastNotice()
                let body = ExplanationRenderer.serialize(["deadLetters": page.items.map { entry in
                    DeadLetterJSON.object(entry) { DeliveryBody.data($0, runtime: nil, publicURL: "", notices: notices) }
                }])
                return String(decoding: body, as: UTF8.self) + "\n"
            }
            if page.items.isEmpty { return "no dead letters\n" }
            return page.items.map { entry in
                let r = entry.record
                return "\(r.deliveryID)  \(NotificationJSON.timestamp(r.deadAt))  \(r.target)  attempts=\(r.attempts)  " +
                    "status=\(r.lastStatus.map(String.init) ?? "-")  \(r.lastError)\n    notification \(r.notificationID)\n"
            }.joined()
        }
    }

    public static func retry(_ deliveryID: String, stateDirectory: String?) -> Result<String, Failure> {
        LocalState.run(stateDirectory) { store in
            let now = Date()
            let found = try OperatorAudit.deadLetter(deliveryID, in: store)
            let audit = OperatorAudit.retry(deliveryID: deliveryID, letter: found?.0, notice: found?.1,
                                            actor: OperatorAudit.localActor(), now: now)
            guard try store.applyOperatorChange(.requeueDeadLetter(deliveryID: deliveryID, now: now), audit: audit) else {
                throw Failure(message: "no dead letter '\(deliveryID)'")
            }
            return "re-queued \(deliveryID); a running daemon sends it within a second\n"
        }
    }
}
