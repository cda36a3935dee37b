internal import CPostgreSQL
import Foundation
import Synchronization

/// What another instance changed, as `PostgresListener` hears it: the payload of a
/// notification on `PostgresListener.channel`.
public enum PostgresChange: String, Sendable {
    /// A silence was added, replaced or removed.
    case silences
    /// A SCIM change was stored.
    case directory
}

/// LISTEN/NOTIFY as an early wake-up (issue #20 guarantee 6): silence and SCIM writes
/// notify `channel` when they commit (`PostgresStore.notify`), and every instance's
/// listener hands the change to the daemon, which re-reads at once instead of at its
/// next poll. Never the only path: the polls (silences and the directory version every
/// second) find every change anyway, so a lost notification, a listener that is
/// reconnecting or a database without notifications only costs that second.
/// Notifications are sent only from these rare writes, never from ingest commits:
/// a NOTIFY serialises the commits that send one (SCALEOUT.md A3).
///
/// One connection of its own (outside the pool: it sits idle in LISTEN), read by one
/// thread that waits on the socket with `poll`; a broken connection is made again after
/// `reconnectDelay`.
public final class PostgresListener: @unchecked Sendable {
    /// The channel Herald's notifications use.
    public static let channel = "herald_changes"
    /// Wait before connecting again after the connection failed (the database restarting
    /// or failing over: the polls carry on meanwhile).
    static let reconnectDelay: TimeInterval = 5
    /// Longest wait on the socket before looking at `stopped` again: bounds `stop`.
    static let pollMilliseconds: Int32 = 250

    private let url: String
    private let onChange: @Sendable (PostgresChange) -> Void
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Mutex(false)

    /// `onChange` runs on the listener's thread, one change at a time.
    init(url: String, onChange: @escaping @Sendable (PostgresChange) -> Void) {
        self.url = url
        self.onChange = onChange
    }

    /// Starts the listening thread (once).
    public func start() {
        guard started.withLock({ started in
            defer { started = true }
            return !started
        }) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "herald.pg.listen"
        thread.start()
    }

    /// Stops listening; returns once the thread has closed its connection (within about
    /// `pollMilliseconds`, or the time a connection attempt takes).
    public func stop() {
        stopped.withLock { $0 = true }
        guard started.withLock({ $0 }) else { return }
        _ = finished.wait(timeout: .now() + .seconds(PostgresConnection.connectTimeoutSeconds + 1))
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func run() {
        while !isStopped {
            do throws(PostgresError) {
                let connection = try PostgresConnection(url: url, applicationName: "herald-listener")
                try connection.execute("LISTEN \(Self.channel)", operation: "listen")
                try listen(on: connection)
            } catch {
                let until = Date().addingTimeInterval(Self.reconnectDelay)
                while !isStopped, Date() < until { Thread.sleep(forTimeInterval: Double(Self.pollMilliseconds) / 1000) }
            }
        }
        finished.signal()
    }

    /// Waits for notifications until stopped; throws when the connection broke.
    private func listen(on connection: PostgresConnection) throws(PostgresError) {
        let socket = PQsocket(connection.handle)
        while !isStopped {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Self.pollMilliseconds)
            if ready < 0, errno != EINTR { throw Self.lost("poll failed: errno \(errno)") }
            guard ready > 0 else { continue }
            guard PQconsumeInput(connection.handle) == 1 else { throw Self.lost(String(cString: PQerrorMessage(connection.handle))) }
            while let notice = PQnotifies(connection.handle) {
                let payload = notice.pointee.extra.map { String(cString: $0) } ?? ""
                PQfreemem(notice)
                if let change = PostgresChange(rawValue: payload) { onChange(change) }
            }
            if connection.isBroken { throw Self.lost("connection closed") }
        }
    }

    private static func lost(_ message: String) -> PostgresError {
        PostgresError(sqlState: nil, message: message, operation: "listen", connectionLost: true)
    }
}

extension PostgresStore {
    /// A listener for the changes other instances (and this one) notify; started by the
    /// caller, which also stops it.
    public func makeListener(onChange: @escaping @Sendable (PostgresChange) -> Void) -> PostgresListener {
        PostgresListener(url: url, onChange: onChange)
    }

    /// Queues a notification of `change`, sent when the caller's transaction commits
    /// (not at all if it rolls back).
    static func notify(_ change: PostgresChange, _ connection: PostgresConnection) throws(PostgresError) {
        try connection.run("SELECT pg_notify($1, $2)", [.text(PostgresListener.channel), .text(change.rawValue)],
                           operation: "notify \(change.rawValue)")
    }
}
