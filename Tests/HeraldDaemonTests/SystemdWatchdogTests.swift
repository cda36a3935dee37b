import Foundation
import Glibc
import HeraldSupport
import Synchronization
import Testing
@testable import HeraldDaemon

/// `$WATCHDOG_USEC` parsing, and pings gated by the evaluation's progress.
@Suite struct SystemdWatchdogTests {
    /// Each case: the environment, then the expected timeout in µs (nil = watchdog off).
    @Test func scheduleFollowsSdWatchdogEnabled() throws {
        let me = String(getpid())
        let cases: [([String: String], UInt64?)] = [
            ([:], nil),                                                        // no WatchdogSec=
            (["WATCHDOG_USEC": "30000000"], 30_000_000),                       // no PID check
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": me], 30_000_000),   // meant for us
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"], nil),         // meant for another process
            (["WATCHDOG_PID": me], nil),                                       // PID alone means nothing
        ]
        for (environment, timeout) in cases {
            let schedule = try WatchdogSchedule.fromEnvironment(environment)
            #expect(schedule?.timeoutMicroseconds == timeout, "\(environment)")
        }
        let schedule = try #require(try WatchdogSchedule.fromEnvironment(["WATCHDOG_USEC": "30000000"]))
        #expect(schedule.pingIntervalMicroseconds == 15_000_000)
        #expect(schedule.pingInterval == .microseconds(15_000_000))
    }

    /// Each case: a malformed environment and the variable the error must name.
    @Test func malformedValuesThrowNamingTheVariable() {
        let cases: [([String: String], String)] = [
            (["WATCHDOG_USEC": "30s"], "WATCHDOG_USEC='30s'"),   // systemd passes µs, never units
            (["WATCHDOG_USEC": "0"], "WATCHDOG_USEC='0'"),       // a zero timeout is meaningless
            (["WATCHDOG_USEC": "-5"], "WATCHDOG_USEC='-5'"),
            (["WATCHDOG_USEC": "100", "WATCHDOG_PID": "x"], "WATCHDOG_PID='x'"),
        ]
        for (environment, detail) in cases {
            #expect(throws: SystemdError(.malformedVariable, detail)) {
                try WatchdogSchedule.fromEnvironment(environment)
            }
        }
    }

    /// Timeout 200 ms → a ping every 100 ms, only while `progress` says so.
    @Test func pingsOnlyWhileThePipelineMakesProgress() throws {
        let listener = try NotifySocketListener(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        let schedule = try #require(try WatchdogSchedule.fromEnvironment(["WATCHDOG_USEC": "200000"]))
        let healthy = Atomic<Bool>(true)
        let logged = Mutex<[String]>([])
        let logger = Logger(label: "watchdog", environment: [:]) { line in logged.withLock { $0.append(line) } }
        let watchdog = Watchdog(schedule: schedule, notifier: notifier, logger: logger) {
            healthy.load(ordering: .relaxed)
        }

        watchdog.start()
        watchdog.start() // a second start must not add a second timer
        let first = listener.drain(forMilliseconds: 550)
        #expect(first.allSatisfy { $0 == "WATCHDOG=1" })
        #expect((2...7).contains(first.count), "about 5 pings in 550 ms at 100 ms (slack for a loaded machine), got \(first.count)")

        healthy.store(false, ordering: .relaxed)
        _ = listener.drain(forMilliseconds: 150) // a tick already past its progress check
        let withheldBefore = watchdog.pingCounts.withheld
        #expect(listener.drain(forMilliseconds: 400).isEmpty)
        #expect(watchdog.pingCounts.withheld >= withheldBefore + 2)

        healthy.store(true, ordering: .relaxed)
        #expect(listener.receive(timeoutMilliseconds: 1_000) == "WATCHDOG=1")

        watchdog.stop()
        _ = listener.drain(forMilliseconds: 150)
        let sentAfterStop = watchdog.pingCounts.sent
        #expect(listener.drain(forMilliseconds: 300).isEmpty)
        #expect(watchdog.pingCounts.sent == sentAfterStop)

        // One line when pings stop and one when they resume, not one per tick.
        let lines = logged.withLock { $0 }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.contains("level=warning") == true && lines.first?.contains("withholding") == true)
        #expect(lines.last?.contains("level=notice") == true && lines.last?.contains("resumed") == true)
    }
}
