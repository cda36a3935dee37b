import Foundation
import HeraldCore
import HeraldStore

/// The store side of `herald dead-letters`: list and re-queue without the daemon.
public enum DeadLetterTool {
    public struct Failure: Error {
        public let message: String
    }

    public static func list(stateDirectory: String?, limit: Int, json: Bool) -> Result<String, Failure> {
        do {
            let store = try open(stateDirectory)
            let page = try store.deadLetters(limit: min(limit, Store.maxPageSize))
            if json {
                let body = ExplanationRenderer.serialize(["deadLetters": page.items.map(DeadLetterJSON.object)])
                return .success(String(decoding: body, as: UTF8.self) + "\n")
            }
            if page.items.isEmpty { return .success("no dead letters\n") }
            return .success(page.items.map { entry in
                let r = entry.record
                return "\(r.deliveryID)  \(NotificationJSON.timestamp(r.deadAt))  \(r.target)  attempts=\(r.attempts)  " +
                    "status=\(r.lastStatus.map(String.init) ?? "-")  \(r.lastError)\n    notification \(r.notificationID)\n"
            }.joined())
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }

    public static func retry(_ deliveryID: String, stateDirectory: String?) -> Result<String, Failure> {
        do {
            let store = try open(stateDirectory)
            guard try store.requeueDeadLetter(deliveryID: deliveryID, now: Date()) else {
                return .failure(Failure(message: "no dead letter '\(deliveryID)'"))
            }
            return .success("re-queued \(deliveryID); a running daemon sends it within a second\n")
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }

    private static func open(_ stateDirectory: String?) throws -> Store {
        let directory = DaemonOptions(configPath: "", stateDirectory: stateDirectory).resolvedStateDirectory()
        guard FileManager.default.fileExists(atPath: directory + "/" + Store.fileName) else {
            throw Failure(message: "no Herald state in '\(directory)' (use --state-dir)")
        }
        do {
            return try Store(directory: URL(fileURLWithPath: directory))
        } catch {
            throw Failure(message: "cannot open the state store in '\(directory)': \(error.message)")
        }
    }
}
