public import Foundation

/// Kills a child of the test (SIGCONT, then SIGKILL) once the test process has ended,
/// whatever way it ended: a shell polls the test's pid every second. `deinit`s and
/// `defer`s stop children on every normal path; this is the path for a test process
/// that crashed or was killed, so no nginx, daemon (paused or not) or receiver outlives
/// a run.
///
/// **Ended** includes a zombie: a test process killed with SIGKILL stays one until its
/// parent (`swift test`) reaps it, and `swift test` waits first for its output pipe to
/// close — which a child still holding that pipe never does. So "`kill -0` succeeds" is
/// not "alive"; the shell reads the state in `/proc/<pid>/status`.
///
/// The shell ends as soon as the child has ended (a normal stop), and checks that the pid
/// still runs the program it ran when watched (`/proc/<pid>/cmdline`), so a pid the
/// kernel reused for something else is left alone.
public enum ChildWatchdog {
    public static func killWhenTestEnds(pid: pid_t) throws {
        let cmdline = "/proc/\(pid)/cmdline"
        let script = """
            want=$(tr '\\0' ' ' < \(cmdline) 2>/dev/null)
            while \(alive(getpid())) && kill -0 \(pid) 2>/dev/null; do sleep 1; done
            [ -n "$want" ] && [ "$(tr '\\0' ' ' < \(cmdline) 2>/dev/null)" = "$want" ] || exit 0
            kill -CONT \(pid) 2>/dev/null; kill -KILL \(pid) 2>/dev/null
            """
        try runDetached(script)
    }

    /// A shell condition true while `pid` runs (exists and is not a zombie).
    public static func alive(_ pid: pid_t) -> String {
        "{ kill -0 \(pid) 2>/dev/null && ! grep -q '^State:.*Z' /proc/\(pid)/status 2>/dev/null; }"
    }

    /// Runs `script` with `/bin/sh`, its standard streams on /dev/null (holding none of
    /// the test's pipes open).
    static func runDetached(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
