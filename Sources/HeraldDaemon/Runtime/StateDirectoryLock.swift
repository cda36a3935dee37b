import Foundation
import Glibc

/// An exclusive OS lock on `herald.lock` in the state directory, held for the daemon's
/// life: two daemons on one directory would each accept the same event and notify twice
/// under different ids (#17 item 6). `flock` is released by the kernel when the process
/// ends, however it ends, so a crash never leaves a stale lock behind, and the file
/// keeps the holder's pid only to make the refusal say who holds it.
///
/// Only `serve` takes it: the CLI tools (`silences`, `dead-letters`) open the store
/// beside a running daemon on purpose, and SQLite serialises their writes.
final class StateDirectoryLock {
    static let fileName = "herald.lock"

    /// Why the lock could not be taken.
    struct Failure: Error {
        let message: String
    }

    private let descriptor: Int32
    let path: String

    /// Creates the directory if needed (mode 0700, as the store does) and takes the lock
    /// without waiting.
    init(directory: String) throws(Failure) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(message: "cannot create state directory '\(directory)': \(error.localizedDescription)")
        }
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(message: "cannot open lock file '\(path)': \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.recordedPID(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                throw Failure(message: "another herald\(holder.map { " (pid \($0))" } ?? "") is already serving state directory '\(directory)' (lock '\(path)'); stop it or give this one its own --state-dir")
            }
            throw Failure(message: "cannot lock '\(path)': \(String(cString: strerror(reason)))")
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Closing the descriptor releases the lock (the kernel does the same at exit).
    deinit { close(descriptor) }

    /// The pid the holder wrote, if readable.
    private static func recordedPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
