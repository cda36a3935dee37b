public import Foundation

/// Kills a child of the test (SIGCONT, then SIGKILL) once the test process has ended,
/// whatever way it ended: a shell polls the test's pid every second. `deinit`s and
/// `defer`s stop children on every normal path; this is the path for a test process
/// that crashed or was killed, so no nginx or paused daemon outlives a run.
///
/// The shell checks that the pid still runs the program it ran when watched (its
/// `/proc/<pid>/cmdline`), so a pid the kernel reused for something else is left alone.
public enum ChildWatchdog {
    public static func killWhenTestEnds(pid: pid_t) throws {
        let cmdline = "/proc/\(pid)/cmdline"
        let script = """
            want=$(tr '\\0' ' ' < \(cmdline) 2>/dev/null)
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            [ -n "$want" ] && [ "$(tr '\\0' ' ' < \(cmdline) 2>/dev/null)" = "$want" ] || exit 0
            kill -CONT \(pid) 2>/dev/null; kill -KILL \(pid) 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
