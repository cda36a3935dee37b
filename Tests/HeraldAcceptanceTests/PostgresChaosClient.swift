import Foundation
import HeraldTestKit

/// The chaos test's client: one thread per subject, each posting its plan strictly in
/// sequence through nginx — the next event only after a 2xx; a refusal (429/503, or
/// nginx's 502/504), a timeout or a broken connection retries the SAME event id, which
/// nginx may hand to another instance. Deliberate duplicates are posted too (after the
/// original's 2xx, and some at the same moment as it), and some episodes are
/// acknowledged. Everything it was answered goes into a `ChaosLog`.
///
/// Bounded: each subject stops at the end of its plan or at `deadline` (whichever comes
/// first), and one event is retried for at most `retryLimit`.
final class ChaosClient: @unchecked Sendable {
    /// Pause between a subject's events: a tier lasts a few of these, so escalation
    /// steps (`ChaosKit.stepAfter`) fall due inside episodes.
    static let pacing: TimeInterval = 0.4
    /// Wait before retrying a refused event. Herald's Retry-After says 5 s when the store
    /// is down; a short wait here keeps the test short and shows the 503s end by themselves.
    static let retryPause: TimeInterval = 0.25
    /// Longest time one event (or ack) is retried before the subject gives up (a failure).
    static let retryLimit: TimeInterval = 40
    /// The client's own timeout: longer than nginx trying every instance.
    static let requestTimeout: TimeInterval = TimeInterval(NginxProcess.upstreamTries * (NginxProcess.readTimeout + 1) + 3)

    let nginx: NginxProcess
    let log = ChaosLog()
    let subjects: [String]
    let steps: Int

    init(nginx: NginxProcess, subjects: Int, steps: Int) {
        self.nginx = nginx
        self.subjects = (0..<subjects).map { "s-\($0)" }
        self.steps = steps
    }

    /// Runs every subject on its own thread and returns when all have finished.
    func run(until deadline: Date) {
        let group = DispatchGroup()
        for (index, subject) in subjects.enumerated() {
            group.enter()
            let thread = Thread { [self] in
                runSubject(subject, plan: ChaosKit.plan(subject: index, steps: steps), deadline: deadline)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    private func runSubject(_ subject: String, plan: [ChaosKit.Step], deadline: Date) {
        var bodies: [String] = []
        var lastStamp = 0.0
        var episode = 0, episodeStart: Int64?, previousValue = ChaosKit.quiet
        for (index, step) in plan.enumerated() where Date() < deadline {
            // Milliseconds (what the store keeps), strictly increasing per subject.
            let stamp = max((Date().timeIntervalSince1970 * 1000).rounded(.down), lastStamp + 1)
            lastStamp = stamp
            let body = Self.event(id: "\(subject)-\(index)", subject: subject, value: step.value, milliseconds: Int64(stamp))
            bodies.append(body)
            let accepted = index % 9 == 6 ? postTwiceAtOnce(body, subject: subject, eventID: "\(subject)-\(index)")
                : post(body, subject: subject, eventID: "\(subject)-\(index)", deliberate: false)
            guard accepted else { return }
            if previousValue < 10, step.value >= 10 { episode += 1; episodeStart = Int64(stamp) }
            previousValue = step.value
            // Deliberate duplicates: the event just accepted, and one from two steps back.
            if index % 5 == 2 { _ = post(body, subject: subject, eventID: "\(subject)-\(index)", deliberate: true) }
            if index % 7 == 4 { _ = post(bodies[index - 2], subject: subject, eventID: "\(subject)-\(index - 2)", deliberate: true) }
            if let user = step.acknowledgeAs, let start = episodeStart {
                acknowledge(subject: subject, episode: "\(ChaosKit.rule)/\(subject)/\(episode)@\(start)", user: user)
            }
            Thread.sleep(forTimeInterval: Self.pacing)
        }
    }

    /// The timestamp is written from the integer milliseconds: formatting a `Date` may
    /// print .158 for 159 ms (binary floating point), and the client names episodes by
    /// the millisecond their first event carries.
    static func event(id: String, subject: String, value: Double, milliseconds: Int64) -> String {
        let seconds = Date(timeIntervalSince1970: TimeInterval(milliseconds / 1000)).formatted(.iso8601)   // …T04:15:48Z
        let stamp = seconds.dropLast() + String(format: ".%03dZ", Int(milliseconds % 1000))
        return #"{"id": "\#(id)", "metric": "\#(ChaosKit.metric)", "value": \#(value), "subject": {"id": "\#(subject)"}, "timestamp": "\#(stamp)"}"#
    }

    /// The same event twice at the same moment, from two threads (as a client's retry
    /// racing the original, or nginx passing a slow request on): round-robin hands them
    /// to two instances that decide the same event id together. True when both got 2xx.
    private func postTwiceAtOnce(_ body: String, subject: String, eventID: String) -> Bool {
        let second = DispatchSemaphore(value: 0)
        let secondAccepted = Box()
        Thread { [self] in
            secondAccepted.value = post(body, subject: subject, eventID: eventID, deliberate: false, raced: true)
            second.signal()
        }.start()
        let first = post(body, subject: subject, eventID: eventID, deliberate: false, raced: true)
        second.wait()
        return first && secondAccepted.value
    }

    private final class Box: @unchecked Sendable {
        var value = false
    }

    /// Posts one event until a 2xx (recorded) or a final refusal or the retry limit
    /// (recorded as a failure); true when accepted.
    private func post(_ body: String, subject: String, eventID: String, deliberate: Bool, raced: Bool = false) -> Bool {
        let started = Date()
        var attempts = 0
        while Date().timeIntervalSince(started) < Self.retryLimit {
            attempts += 1
            let answer = try? HTTPClient.send("POST", nginx.url("/v1/events"), body: Data(body.utf8), token: ChaosKit.writerToken,
                                              timeout: Self.requestTimeout)
            log.noteAttempt(status: answer?.status ?? 0)
            guard let answer, !Self.retryable(answer.status) else { Thread.sleep(forTimeInterval: Self.retryPause); continue }
            guard (200..<300).contains(answer.status) else {
                log.fail("\(eventID): refused \(answer.status): \(answer.text)")
                return false
            }
            log.accept(ChaosLog.Post(subject: subject, eventID: eventID, body: body, deliberate: deliberate, raced: raced, attempts: attempts,
                                     duplicates: answer.json["duplicates"] as? Int ?? -1,
                                     notifications: answer.json["notifications"] as? Int ?? -1))
            return true
        }
        log.fail("\(eventID): no 2xx in \(Int(Self.retryLimit)) s (\(attempts) attempts)")
        return false
    }

    /// `POST /v1/episodes/ack` as `user`, retried like an event; the final answer is
    /// recorded (200, or 404/409 when the episode ended or someone else acked first).
    private func acknowledge(subject: String, episode: String, user: String) {
        let body = #"{"episode": "\#(episode)", "user": "\#(user)"}"#   // ids of [a-z0-9-/@] only: nothing to escape
        let started = Date()
        while Date().timeIntervalSince(started) < Self.retryLimit {
            let answer = try? HTTPClient.send("POST", nginx.url("/v1/episodes/ack"), body: Data(body.utf8), token: ChaosKit.ackToken,
                                              timeout: Self.requestTimeout)
            guard let answer, !Self.retryable(answer.status) else { Thread.sleep(forTimeInterval: Self.retryPause); continue }
            log.acknowledged(ChaosLog.Ack(subject: subject, episode: episode, user: user, status: answer.status,
                                          changed: answer.json["changed"] as? Bool, error: answer.json["error"] as? String))
            return
        }
        log.fail("ack of \(episode): no final answer in \(Int(Self.retryLimit)) s")
    }

    /// Answers that mean "not done, try again": Herald's 429/503, nginx's 502/504.
    static func retryable(_ status: Int) -> Bool { [429, 502, 503, 504].contains(status) }
}

/// What the client was told, shared by its threads.
final class ChaosLog: @unchecked Sendable {
    struct Post {
        let subject: String
        let eventID: String
        /// The JSON posted (the same bytes on every retry).
        let body: String
        /// A duplicate the client posted on purpose (after the original's 2xx).
        let deliberate: Bool
        /// One of two posts of the same event sent at the same moment.
        let raced: Bool
        let attempts: Int
        /// From the 2xx body.
        let duplicates: Int
        let notifications: Int
    }

    struct Ack {
        let subject: String
        let episode: String
        let user: String
        let status: Int
        let changed: Bool?
        let error: String?
    }

    private let lock = NSLock()
    private var _posts: [Post] = []
    private var _acks: [Ack] = []
    private var _failures: [String] = []
    private var _statuses: [Int: Int] = [:]

    func accept(_ post: Post) { lock.withLock { _posts.append(post) } }
    func acknowledged(_ ack: Ack) { lock.withLock { _acks.append(ack) } }
    func fail(_ why: String) { lock.withLock { _failures.append(why) } }
    func noteAttempt(status: Int) { lock.withLock { _statuses[status, default: 0] += 1 } }

    /// Every 2xx, in the order each subject received them.
    var posts: [Post] { lock.withLock { _posts } }
    var acks: [Ack] { lock.withLock { _acks } }
    var failures: [String] { lock.withLock { _failures } }
    /// Answers by status (0: timeout or connection error), over every attempt.
    var statuses: [Int: Int] { lock.withLock { _statuses } }
}
