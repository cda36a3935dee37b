public import Foundation
import Glibc

/// How often to send `WATCHDOG=1`, read from the variables systemd sets when the unit
/// has `WatchdogSec=` (the rules of sd_watchdog_enabled(3)).
///
/// The ping interval is half the timeout, as systemd recommends, so one late tick
/// (a GC-free but busy moment, a slow fsync) does not get the daemon killed.
public struct WatchdogSchedule: Equatable, Sendable {
    /// The `WatchdogSec=` timeout after which systemd kills and restarts the daemon.
    public let timeoutMicroseconds: UInt64

    /// Ping period: half the timeout.
    public var pingIntervalMicroseconds: UInt64 { timeoutMicroseconds / 2 }

    /// Ping period as a Dispatch interval for the timer.
    public var pingInterval: DispatchTimeInterval {
        .microseconds(Int(clamping: pingIntervalMicroseconds))
    }

    public init(timeoutMicroseconds: UInt64) {
        precondition(timeoutMicroseconds > 0, "a watchdog timeout must be positive")
        self.timeoutMicroseconds = timeoutMicroseconds
    }

    /// The schedule from `$WATCHDOG_USEC`, or nil when the watchdog is off: the variable
    /// is unset, or `$WATCHDOG_PID` names another process (the variables were inherited
    /// from a parent that systemd watches, not meant for us). Malformed values throw.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SystemdError) -> WatchdogSchedule? {
        try fromEnvironment(environment, processID: getpid())
    }

    /// As above with the process id injected, so tests can play "another process".
    static func fromEnvironment(_ environment: [String: String],
                                processID: Int32) throws(SystemdError) -> WatchdogSchedule? {
        guard let usecText = environment["WATCHDOG_USEC"] else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Int32(pidText), pid > 0 else {
                throw SystemdError(.malformedVariable, "WATCHDOG_PID='\(pidText)'")
            }
            guard pid == processID else { return nil }
        }
        guard let usec = UInt64(usecText), usec > 0 else {
            throw SystemdError(.malformedVariable, "WATCHDOG_USEC='\(usecText)'")
        }
        return WatchdogSchedule(timeoutMicroseconds: usec)
    }
}
