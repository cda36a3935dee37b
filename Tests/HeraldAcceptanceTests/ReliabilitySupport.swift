import Foundation
import Glibc
import HeraldTestKit

/// Shared pieces of the reliability suite: a config with tight limits, a raw socket for
/// what URLSession will not send, and the daemon's peak memory.
enum Reliability {
    static let writeToken = "tok-write-7f3a9c2e51d84b06"
    static let readToken = "tok-read-0c4e8b1d9a2f6e35"
    static let adminToken = "tok-admin-5b9d1f7e3c8a2d40"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let environment = ["HERALD_TOKEN": writeToken, "READ_TOKEN": readToken, "ADMIN_TOKEN": adminToken,
                              "HOOK_SECRET": secret]

    /// Generous ceiling for the daemon's peak RSS (VmHWM) after a hostile-input run: it
    /// idles near 40 MiB here; a body or header buffered without bound would pass this.
    static let peakRSSLimitKiB = 256 * 1024

    /// One rule (`m` ≥ 10 tells the owner), one webhook target, tight server limits
    /// (256 KiB bodies, 100-event batches, a 2 s idle timeout, 64 connections) and a
    /// token per scope.
    static func config(targetURL: String = "http://127.0.0.1:9/ok", extraServer: String = "", extra: String = "") -> String {
        """
        {"users": [{"id": "o", "name": "Owner", "owner": true}],\(extra.isEmpty ? "" : " " + extra + ",")
         "targets": [{"id": "t", "url": "\(targetURL)", "secrets": [{"env": "HOOK_SECRET"}],
                      "retrySchedule": ["0s", "200ms", "400ms"]}],
         "rules": [{"id": "r", "metric": "m", "tiers": [{"threshold": 10, "notify": [{"owner": true}]}]}],
         "server": {"maxBodyBytes": 262144, "maxBatchEvents": 100, "connectionTimeout": "2s", "maxConnections": 64,
                    \(extraServer.isEmpty ? "" : extraServer + ",")
                    "tokens": [{"id": "writer", "env": "HERALD_TOKEN", "scopes": ["events:write"]},
                               {"id": "reader", "env": "READ_TOKEN", "scopes": ["read"]},
                               {"id": "admin", "env": "ADMIN_TOKEN", "scopes": ["events:write", "read", "admin"]}]}}
        """
    }

    /// An event body for metric `m`.
    static func event(value: Double = 1, subject: String = "s-1", id: String? = nil) -> String {
        let idPart = id.map { #""id": "\#($0)", "# } ?? ""
        return #"{\#(idPart)"metric": "m", "value": \#(value), "subject": {"id": "\#(subject)"}}"#
    }

    /// A POST of `body` to /v1/events with the write token, as raw bytes.
    static func rawPost(_ body: Data, contentType: String = "application/json", extraHeaders: String = "",
                        method: String = "POST", path: String = "/v1/events", token: String = writeToken) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\(extraHeaders)\r\n"
        return Data(head.utf8) + body
    }

    /// Peak resident set size of `pid` in KiB (VmHWM from /proc), or nil.
    static func peakRSSKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }
    }

    /// Whether /healthz answers 200 within `timeout`.
    static func healthy(_ herald: HeraldProcess, timeout: TimeInterval = 5) -> Bool {
        (try? HTTPClient.get(herald.url("/healthz")).status) == 200 && herald.isRunning
    }
}

/// A producer that posts batches of events (each with its own subject, over the
/// threshold, with an idempotency key) and records every subject Herald acknowledged
/// with 202. A batch that gets anything else (connection refused while Herald restarts,
/// 503) is sent again, as a real producer would; the same ids make a repeat harmless.
final class AcknowledgingProducer: @unchecked Sendable {
    private let lock = NSLock()
    private var acknowledged: Set<String> = []
    private var refusals = 0
    private let url: URL
    private let token: String

    init(url: URL, token: String = Reliability.writeToken) {
        self.url = url
        self.token = token
    }

    var acked: Set<String> { lock.withLock { acknowledged } }

    /// Records subjects acknowledged by a request sent outside `run`.
    func recordAcknowledged(_ subjects: [String]) { lock.withLock { acknowledged.formUnion(subjects) } }
    var refused: Int { lock.withLock { refusals } }

    /// Sends `total` events in batches of `batch` at about `rate` events/s, giving up on
    /// a batch after `deadline`.
    func run(total: Int, batch: Int = 5, rate: Double, prefix: String = "s", deadline: Date) {
        let started = Date()
        var index = 0
        while index < total, Date() < deadline {
            let due = started.addingTimeInterval(Double(index) / rate)
            if due > Date() { Thread.sleep(until: due) }
            let subjects = (index..<min(total, index + batch)).map { "\(prefix)-\($0)" }
            let body = #"{"events": ["# + subjects.map { #"{"id": "e-\#($0)", "metric": "m", "value": 50, "subject": {"id": "\#($0)"}}"# }
                .joined(separator: ",") + "]}"
            while Date() < deadline {
                if let response = try? HTTPClient.post(url, json: body, token: token), response.status == 202 {
                    lock.withLock { acknowledged.formUnion(subjects) }
                    break
                }
                lock.withLock { refusals += 1 }
                Thread.sleep(forTimeInterval: 0.05)
            }
            index += subjects.count
        }
    }
}

extension PythonReceiver {
    /// Subjects of the webhooks received so far, and how many arrived more than once.
    func deliveredSubjects() -> (subjects: Set<String>, duplicates: Int) {
        let requests = requests()
        let ids = requests.compactMap { $0.headers["webhook-id"] }
        let subjects = requests.compactMap { ($0.json["subject"] as? [String: Any])?["id"] as? String }
        return (Set(subjects), ids.count - Set(ids).count)
    }
}
