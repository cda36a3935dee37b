import Foundation
import HeraldTestKit

/// One chaos run (issue #20's done-when), as a timeline:
///
///     0 s        PostgreSQL, receiver, 3 × herald serve, nginx; clients start
///     4 s        kill -9 instance 0                      (its claims wait for their lease)
///     8 s        instance 0 starts again on the same port
///     11 s       SIGSTOP instance 1 for its lease + 2 s  (requests to it time out in nginx)
///     then       SIGCONT: its late finishes must change nothing
///     +3 s       PostgreSQL stops, 2 s later starts      (503s, then recovery)
///     +8 s       clients stop starting events; drain: outbox empty, no timer pending
///
/// Everything is bounded (see the limits below) and every process it starts is stopped
/// on every path (`defer`), and by watchdogs if the test process dies.
struct ChaosRun: Sendable {
    /// Subjects posting in parallel, each strictly sequential.
    static let subjects = 16
    /// Most events one subject posts (the deadline usually ends it first).
    static let stepsPerSubject = 200
    /// The delivery lease the instances run with (`store.postgresql.leaseSeconds`, its
    /// shortest allowed value): instance 1 is paused for this plus 2 s.
    static let leaseSeconds = 5
    /// Longest wait, after the clients stopped, for the last escalation steps to fire:
    /// the longest chain (2 × `ChaosKit.stepAfter`) and a few seconds of timer slack.
    static let timerLimit: TimeInterval = 2 * ChaosKit.stepAfter + 6
    /// Longest wait, after that, for the outbox to empty.
    static let drainLimit: TimeInterval = 30
    /// Time after the drain for a duplicate send to show at the receiver, if one were made.
    static let settle: TimeInterval = 1.5

    /// A webhook the receiver recorded.
    struct Received: Sendable {
        let webhookID: String
        let verified: Bool
    }

    let posts: [ChaosLog.Post]
    let actions: [ChaosLog.Action]
    let failures: [String]
    /// Answers by status over every attempt (0: timeout or connection error).
    let statuses: [Int: Int]
    let store: ChaosStore
    let received: [Received]
    let config: String
    /// Exit status of each instance's final SIGTERM (nil: had to be killed).
    let exits: [Int32?]
    /// Every timer due before this must have fired (the replay ticks here).
    let replayEnd: Date
    /// How long instance 1 stayed stopped, and the lease it ran with.
    let paused: TimeInterval
    let lease: Int
    /// Requests nginx passed to more than one instance.
    let rerouted: Int
    /// The outbox emptied; no rule state had a timer left to fire.
    let drained: Bool
    let timersDone: Bool
    let seconds: TimeInterval
    let timeline: [String]

    static func perform() throws -> ChaosRun {
        let began = Date()
        var timeline: [String] = []
        func note(_ what: String) { timeline.append(String(format: "%6.1f s  ", Date().timeIntervalSince(began)) + what) }
        let server = try TemporaryPostgres.start()   // its own: this run restarts it
        defer { server.stop() }
        let database = try server.createDatabase()
        let receiver = try PythonReceiver(secrets: [ChaosKit.secret])
        defer { receiver.stop() }
        let config = ChaosKit.config(receiver: receiver, leaseSeconds: leaseSeconds)
        let environment = ChaosKit.environment(databaseURL: database.url)
        var instances: [HeraldProcess] = []
        defer { for herald in instances { herald.signal(SIGCONT); herald.stop() } }
        for _ in 0..<3 { instances.append(try HeraldProcess(config: config, environment: environment)) }
        let nginx = try NginxProcess(upstreams: instances.map(\.port))
        defer { nginx.stop() }
        note("3 instances on ports \(instances.map(\.port)) behind nginx on \(nginx.port)")

        let lease = TimeInterval(leaseSeconds)
        let pauseAt: TimeInterval = 11, pauseFor = lease + 2
        let databaseAt = pauseAt + pauseFor + 3
        let start = Date()
        let client = ChaosClient(nginx: nginx, subjects: subjects, steps: stepsPerSubject)
        let clientsDone = DispatchSemaphore(value: 0)
        Thread { client.run(until: start.addingTimeInterval(databaseAt + 8)); clientsDone.signal() }.start()
        func at(_ offset: TimeInterval) { Thread.sleep(until: start.addingTimeInterval(offset)) }

        at(4); instances[0].crash(); note("kill -9 instance 0")
        at(8); try instances[0].start(); note("instance 0 started again")
        at(pauseAt); instances[1].signal(SIGSTOP); note("SIGSTOP instance 1 for \(Int(pauseFor)) s (lease \(Int(lease)) s)")
        at(pauseAt + pauseFor); instances[1].signal(SIGCONT); note("SIGCONT instance 1")
        at(databaseAt); server.shutDown(); note("PostgreSQL stopped")
        Thread.sleep(forTimeInterval: 2)
        try server.startAgain(); note("PostgreSQL started again")
        let clientLimit = databaseAt + 8 + ChaosClient.retryLimit + 5
        if clientsDone.wait(timeout: .now() + clientLimit) == .timedOut { note("clients did not finish in time") }
        note("clients done: \(client.log.posts.count) posts answered 2xx")

        let timersDone = Poll.until(timeout: timerLimit) { ChaosStore.pendingTimers(server, database: database.name) == 0 }
        note(timersDone ? "no escalation timer pending" : "timers still pending after \(Int(timerLimit)) s")
        let drained = Poll.until(timeout: drainLimit) { ChaosStore.count("outbox", server, database: database.name) == 0 }
        Thread.sleep(forTimeInterval: settle)
        note(drained ? "outbox empty" : "outbox NOT empty after \(Int(drainLimit)) s")
        let replayEnd = Date().addingTimeInterval(-2 * settle)
        let exits = instances.map { $0.stop() }
        note("instances stopped: \(exits)")
        let store = try ChaosStore(server, database: database.name)
        let received = receiver.requests().map {
            Received(webhookID: $0.headers["webhook-id"] ?? "", verified: $0.verified_with == [0])
        }
        let rerouted = nginx.accessLog().filter { $0.contains(", ") }.count   // "$upstream_addr" lists every instance tried
        return ChaosRun(posts: client.log.posts, actions: client.log.actions, failures: client.log.failures,
                        statuses: client.log.statuses, store: store, received: received, config: config, exits: exits,
                        replayEnd: replayEnd, paused: pauseFor, lease: Int(lease), rerouted: rerouted, drained: drained, timersDone: timersDone,
                        seconds: Date().timeIntervalSince(began), timeline: timeline)
    }
}
