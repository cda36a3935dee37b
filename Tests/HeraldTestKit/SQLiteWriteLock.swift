public import Foundation

/// Holds SQLite's write lock on a database from another process, so Herald's commits
/// wait (its busy timeout) and its queue fills deterministically — how tests provoke
/// a full queue (429) without racing real load. `release()` (or deinit) ends it.
public final class SQLiteWriteLock: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()

    public init(database: URL) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); sys.stdin.read()
            """, database.path]
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("locked") else {
            release()
            throw HeraldProcessError(message: "could not lock \(database.path)")
        }
    }

    deinit { release() }

    /// Ends the lock (the holder exits, rolling back).
    public func release() {
        try? input.fileHandleForWriting.close()
        if !Poll.until(timeout: 5, { !self.process.isRunning }) { process.terminate() }
    }
}
