import Foundation
import HeraldTestKit

/// The chaos test's client: one thread per subject, each posting its plan strictly in
/// sequence through nginx — the next event only after a 2xx; a refusal (429/503, or
/// nginx's 502/504), a timeout or a broken connection retries the SAME event id, which
/// nginx may hand to another instance. Deliberate duplicates are posted too (after the
/// original's 2xx, and some at the same moment as it), and some episodes are
/// acknowledged or resolved by hand. Everything it was answered goes into a `ChaosLog`.
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
                act(.acknowledge, subject: subject, episode: "\(ChaosKit.rule)/\(subject)/\(episode)@\(start)", user: user)
            }
            if step.resolveByHand, let start = episodeStart,
               act(.resolve, subject: subject, episode: "\(ChaosKit.rule)/\(subject)/\(episode)@\(start)", user: nil) {
                previousValue = ChaosKit.quiet   // the episode ended: the next value at a tier starts another
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

    /// `POST /v1/episodes/<verb>`: as `user` with the ack token, or (no user) as the
    /// operator of the writer token. Retried like an event; the final answer is recorded.
    /// True when the action took, or a retry found it done (`episode_ended` after a lost
    /// answer to a resolve).
    @discardableResult
    private func act(_ verb: ChaosLog.Action.Verb, subject: String, episode: String, user: String?) -> Bool {
        // Ids of [a-z0-9-/@] only: nothing to escape.
        let body = user.map { #"{"episode": "\#(episode)", "user": "\#($0)"}"# } ?? #"{"episode": "\#(episode)"}"#
        let token = user == nil ? ChaosKit.writerToken : ChaosKit.ackToken
        let started = Date()
        var lostAnswer = false
        while Date().timeIntervalSince(started) < Self.retryLimit {
            let answer = try? HTTPClient.send("POST", nginx.url("/v1/episodes/\(verb.rawValue)"), body: Data(body.utf8), token: token,
                                              timeout: Self.requestTimeout)
            // No answer, or nginx's own after it had passed the request on: it may have been done.
            if answer == nil || [502, 504].contains(answer?.status ?? 0) { lostAnswer = true }
            guard let answer, !Self.retryable(answer.status) else { Thread.sleep(forTimeInterval: Self.retryPause); continue }
            let action = ChaosLog.Action(subject: subject, episode: episode, verb: verb, actor: user ?? "operator:writer",
                                         status: answer.status, changed: answer.json["changed"] as? Bool,
                                         error: answer.json["error"] as? String, lostAnswer: lostAnswer)
            log.acted(action)
            return answer.status == 200 || (lostAnswer && action.error == "episode_ended")
        }
        log.fail("\(verb.rawValue) of \(episode): no final answer in \(Int(Self.retryLimit)) s")
        return false
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
        /// Position among every answer logged (`ChaosLog` sets it).
        var order = 0

        func numbered(_ n: Int) -> Post { var copy = self; copy.order = n; return copy }
    }

    /// An episode action and its final answer.
    struct Action {
        enum Verb: String { case acknowledge = "ack", resolve }
        let subject: String
        let episode: String
        let verb: Verb
        /// The user acting, or `operator:writer`.
        let actor: String
        let status: Int
        let changed: Bool?
        let error: String?
        /// An earlier attempt got no answer (or nginx's 502/504): it may have taken.
        let lostAnswer: Bool
        /// Position among every answer logged (`ChaosLog` sets it).
        var order = 0

        func numbered(_ n: Int) -> Action { var copy = self; copy.order = n; return copy }
    }

    private let lock = NSLock()
    private var _posts: [Post] = []
    private var _actions: [Action] = []
    /// Answers counted in the order they were logged: a subject's posts and actions
    /// interleave in its own order (it waits for each answer before the next request).
    private var _order = 0
    private var _failures: [String] = []
    private var _statuses: [Int: Int] = [:]

    func accept(_ post: Post) { lock.withLock { _order += 1; _posts.append(post.numbered(_order)) } }
    func acted(_ action: Action) { lock.withLock { _order += 1; _actions.append(action.numbered(_order)) } }
    func fail(_ why: String) { lock.withLock { _failures.append(why) } }
    func noteAttempt(status: Int) { lock.withLock { _statuses[status, default: 0] += 1 } }

    /// Every 2xx, in the order each subject received them.
    var posts: [Post] { lock.withLock { _posts } }
    var actions: [Action] { lock.withLock { _actions } }
    var failures: [String] { lock.withLock { _failures } }
    /// Answers by status (0: timeout or connection error), over every attempt.
    var statuses: [Int: Int] { lock.withLock { _statuses } }
}
