public import Dispatch
public import HeraldSupport
import Synchronization

/// Sends `WATCHDOG=1` on a timer, but only while the daemon is actually working.
///
/// A ping proves more than "the process exists": on each tick `progress` is asked
/// whether the pipeline is making progress or is idle and healthy; when it answers
/// false the ping is withheld, so a wedged pipeline makes systemd restart the daemon
/// after `WatchdogSec=`. `progress` runs on the watchdog's own queue and must be quick
/// and non-blocking (read a counter, compare a timestamp).
public final class Watchdog: Sendable {
    /// Lets the timer fire up to a tenth of the interval late so the kernel can batch
    /// wake-ups; still far inside the timeout, which is twice the interval.
    static let leewayDivisor = 10

    public let schedule: WatchdogSchedule
    private let notifier: SystemdNotifier
    private let progress: @Sendable () -> Bool
    private let logger: Logger?
    private let queue: DispatchQueue
    /// The running timer. Held here, not in a local: in release builds a source only
    /// Dispatch refers to can be freed early and then never fires (SYSLIBS.md).
    private let timer = Mutex<DispatchSourceTimer?>(nil)
    /// Ping counts, and whether the last tick withheld its ping (to log transitions only).
    private let tally = Mutex<Tally>(Tally())

    private struct Tally {
        var sent = 0
        var withheld = 0
        var lastWithheld = false
    }

    /// `notifier` sends the pings; `logger` records when pings stop and resume.
    public init(schedule: WatchdogSchedule,
                notifier: SystemdNotifier,
                logger: Logger? = nil,
                queue: DispatchQueue = DispatchQueue(label: "herald.systemd.watchdog"),
                progress: @escaping @Sendable () -> Bool) {
        self.schedule = schedule
        self.notifier = notifier
        self.logger = logger
        self.queue = queue
        self.progress = progress
    }

    deinit {
        timer.withLock { $0?.cancel() }
    }

    /// Starts ticking every `schedule.pingInterval`, the first tick one interval from
    /// now. Calling it while running does nothing.
    public func start() {
        timer.withLock { current in
            guard current == nil else { return }
            let source = DispatchSource.makeTimerSource(queue: queue)
            let interval = schedule.pingInterval
            let leeway = DispatchTimeInterval.microseconds(
                Int(clamping: schedule.pingIntervalMicroseconds / UInt64(Self.leewayDivisor)))
            source.schedule(deadline: .now() + interval, repeating: interval, leeway: leeway)
            source.setEventHandler { [weak self] in self?.tick() }
            source.resume()
            current = source
        }
    }

    /// Stops pinging (before STOPPING=1 on shutdown). A tick already running finishes.
    public func stop() {
        timer.withLock { current in
            current?.cancel()
            current = nil
        }
    }

    /// How many pings were sent and withheld so far (for metrics and tests).
    public var pingCounts: (sent: Int, withheld: Int) {
        tally.withLock { ($0.sent, $0.withheld) }
    }

    /// One timer tick: ask `progress`, ping or withhold, and log only the transitions.
    func tick() {
        dispatchPrecondition(condition: .onQueue(queue))
        let healthy = progress()
        if healthy {
            notifier.watchdog()
        }
        let wasWithholding = tally.withLock { tally in
            defer { tally.lastWithheld = !healthy }
            if healthy { tally.sent += 1 } else { tally.withheld += 1 }
            return tally.lastWithheld
        }
        if !healthy && !wasWithholding {
            logger?.warning("pipeline is not making progress, withholding watchdog ping; systemd restarts the daemon if this lasts",
                            ["timeout_usec": schedule.timeoutMicroseconds])
        } else if healthy && wasWithholding {
            logger?.notice("pipeline is making progress again, watchdog pings resumed")
        }
    }
}
