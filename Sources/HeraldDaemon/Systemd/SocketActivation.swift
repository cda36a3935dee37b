public import Foundation
import Glibc

/// Sockets passed by systemd socket activation (`herald.socket`), per sd_listen_fds(3).
///
/// With socket activation systemd owns the listening socket: it exists before the
/// daemon starts and survives restarts, so clients are never refused during an
/// upgrade. The daemon asks here first and only binds its configured address when
/// nothing was passed.
public enum SocketActivation {
    /// The first passed descriptor (SD_LISTEN_FDS_START): 0–2 are stdio.
    public static let firstDescriptor: Int32 = 3

    /// The passed listening descriptors, in the order the socket unit lists them.
    ///
    /// Returns [] when not socket-activated: `$LISTEN_PID` unset or naming another
    /// process (the variables were inherited, not meant for us). Each returned
    /// descriptor gets `FD_CLOEXEC` so it does not leak into anything we spawn.
    /// Malformed values throw. With `unsetEnvironment`, `LISTEN_PID`, `LISTEN_FDS` and
    /// `LISTEN_FDNAMES` are removed from the process environment afterwards, whatever
    /// the outcome, as sd_listen_fds(1) does.
    public static func listenFileDescriptors(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        unsetEnvironment: Bool = false
    ) throws(SystemdError) -> [Int32] {
        try listenFileDescriptors(environment: environment, unsetEnvironment: unsetEnvironment,
                                  processID: getpid(), firstDescriptor: firstDescriptor)
    }

    /// As above with the process id and first descriptor injected: a test process has
    /// its own descriptors at 3 and up, so tests pass sockets they placed elsewhere.
    static func listenFileDescriptors(environment: [String: String], unsetEnvironment: Bool,
                                      processID: Int32, firstDescriptor: Int32) throws(SystemdError) -> [Int32] {
        defer {
            if unsetEnvironment {
                for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
            }
        }
        guard let pidText = environment["LISTEN_PID"] else { return [] }
        guard let pid = Int32(pidText), pid > 0 else {
            throw SystemdError(.malformedVariable, "LISTEN_PID='\(pidText)'")
        }
        guard pid == processID else { return [] }
        guard let countText = environment["LISTEN_FDS"] else { return [] }
        guard let count = Int32(countText), count > 0, count <= Int32.max - firstDescriptor else {
            throw SystemdError(.malformedVariable, "LISTEN_FDS='\(countText)'")
        }
        let descriptors = Array(firstDescriptor..<(firstDescriptor + count))
        for descriptor in descriptors {
            try setCloseOnExec(descriptor)
        }
        return descriptors
    }

    /// Whether `descriptor` is a listening stream socket (what `herald.socket` passes
    /// for `ListenStream=`), so the daemon can refuse anything else with a clear error.
    public static func isListeningStreamSocket(_ descriptor: Int32) -> Bool {
        socketOption(descriptor, SO_TYPE) == Int32(SOCK_STREAM.rawValue)
            && socketOption(descriptor, SO_ACCEPTCONN) == 1
    }

    /// Adds FD_CLOEXEC, keeping the descriptor's other flags.
    private static func setCloseOnExec(_ descriptor: Int32) throws(SystemdError) {
        let flags = fcntl(descriptor, F_GETFD)
        guard flags >= 0, fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) == 0 else {
            throw SystemdError(.systemCall, "fcntl(\(descriptor), FD_CLOEXEC): \(String(cString: strerror(errno)))")
        }
    }

    /// An integer `SOL_SOCKET` option, or nil when `descriptor` is not a socket.
    private static func socketOption(_ descriptor: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, option, &value, &length) == 0 else { return nil }
        return value
    }
}
