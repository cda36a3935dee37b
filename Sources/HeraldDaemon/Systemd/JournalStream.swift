public import Foundation
import Glibc

/// Whether stderr really is the journal, as systemd.exec(5) says to check it.
///
/// `Logger` adds `<N>` priority prefixes whenever `$JOURNAL_STREAM` is set. But the
/// variable is inherited: run `herald check` from a shell inside a service, or with
/// `2>file`, and stderr is no longer the journal though the variable is still there,
/// so the prefixes would end up in a terminal or a file. systemd's rule: the variable
/// holds `<device>:<inode>` of the stream it connected; it applies only if stderr's
/// `fstat` matches. The daemon passes `loggerEnvironment` to `Logger`.
public enum JournalStream {
    /// True when `$JOURNAL_STREAM` names the file stderr is connected to.
    public static func standardErrorIsJournal(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        descriptorMatches(STDERR_FILENO, environment: environment)
    }

    /// `environment` without `JOURNAL_STREAM` when it does not describe stderr, for
    /// `Logger(label:environment:)`.
    public static func loggerEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        guard environment["JOURNAL_STREAM"] != nil, !standardErrorIsJournal(environment: environment) else {
            return environment
        }
        var cleaned = environment
        cleaned["JOURNAL_STREAM"] = nil
        return cleaned
    }

    /// Compares `$JOURNAL_STREAM` with `descriptor`'s device and inode (injectable for tests).
    static func descriptorMatches(_ descriptor: Int32, environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
