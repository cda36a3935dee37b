public import Foundation

/// A throw-away PostgreSQL server for the tests: `initdb` into a temp directory, `postgres`
/// started as a child on a free loopback port (unix socket in the same directory), one server
/// per test process, a fresh database per test (`createDatabase`). No docker, nothing
/// outside the temp directory.
///
/// **Root.** `initdb` and `postgres` refuse to run as root. When the tests run as root
/// (containers, CI), every server command runs through `setpriv` as an unprivileged user
/// (`postgres`, which Debian's `postgresql-common` creates — `scripts/install-deps
/// --tests` installs it — else `nobody`) and the temp directory is handed to that user.
/// `setpriv` (util-linux) needs no PAM or password, unlike `su`/`runuser` in some setups.
///
/// **Binaries.** The newest `/usr/lib/postgresql/<major>/bin` (Debian's layout), or the
/// directory `$HERALD_PG_BINDIR` names.
///
/// **Stopping.** The server is stopped and its directory removed when the test process
/// exits (an `atexit` handler), and also by a watchdog shell that polls the test process
/// and cleans up if it died without exiting (a crash, SIGKILL): no server outlives a run.
public final class TemporaryPostgres: Sendable {
    /// Longest wait for `initdb`, or for the server to take connections; ~2 s here.
    public static let startupLimit: TimeInterval = 60
    /// How many free ports are tried when another process takes the one chosen first.
    static let portAttempts = 5
    /// The superuser `initdb` creates; the server trusts loopback connections (test only).
    public static let user = "herald"

    public let port: Int
    public let directory: URL
    let binDirectory: URL
    let runAs: String?

    /// The server of this test process, started on first use.
    public static func shared() throws -> TemporaryPostgres {
        try SharedServer.instance.get()
    }

    /// The libpq URL of `database` on this server.
    public func url(database: String = "postgres") -> String {
        "postgresql://\(Self.user)@127.0.0.1:\(port)/\(database)"
    }

    /// Creates an empty database with a unique name and returns its URL; `drop` removes it.
    public func createDatabase() throws -> (name: String, url: String) {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try psql("CREATE DATABASE \(name) STRATEGY FILE_COPY")
        return (name, url(database: name))
    }

    /// Drops a database made by `createDatabase`, closing whatever still uses it.
    public func drop(_ name: String) {
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs SQL as the superuser on the `postgres` database (test set-up only).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let result = try CommandRunner.run(binDirectory.appendingPathComponent("psql"),
                                           ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url(database: database), "-c", sql],
                                           timeout: 30)
        guard result.status == 0 else {
            throw HeraldProcessError(message: "psql failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server at once and removes its directory (also done at exit). Signals
    /// the postmaster directly (SIGQUIT: immediate shutdown) rather than running
    /// `pg_ctl`, so it also works inside an `atexit` handler.
    public func stop() {
        signalPostmaster(SIGQUIT)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops the server (fast shutdown: sessions are cut, as in a database restart) and
    /// starts it again on the same port and data; the same URLs work afterwards.
    public func restart() throws {
        shutDown()
        try startAgain()
    }

    /// Stops the server (fast shutdown) keeping its data: the database is down until
    /// `startAgain`. Only on a server of the test's own (`start()`), never `shared()`.
    public func shutDown() {
        signalPostmaster(SIGINT)
    }

    /// Starts a server stopped by `shutDown` again on the same port and data.
    public func startAgain() throws {
        guard try startServer() else { throw HeraldProcessError(message: "postgres did not start again; log:\n\(logText())") }
    }

    /// Sends `signal` to the postmaster (from its pid file) and waits up to 10 s for it to end.
    private func signalPostmaster(_ signal: Int32) {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ pid_t($0) }), pid > 0 else { return }
        kill(pid, signal)
        for _ in 0..<500 where kill(pid, 0) == 0 { usleep(20_000) }
    }

    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var logFile: URL { directory.appendingPathComponent("server.log") }

    /// The server's log, for failure messages.
    public func logText() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    // MARK: - Starting

    private init(port: Int, directory: URL, binDirectory: URL, runAs: String?) {
        self.port = port
        self.directory = directory
        self.binDirectory = binDirectory
        self.runAs = runAs
    }

    /// A server of its own (initdb, then the server on the first free port that works,
    /// then the watchdog), for a test that stops or restarts it; `stop()` removes it.
    public static func start() throws -> TemporaryPostgres {
        let binDirectory = try findBinDirectory()
        let runAs = geteuid() == 0 ? unprivilegedUser() : nil
        // As root the server runs as another user, who must reach the directory: under
        // /tmp, not a $TMPDIR that may sit in root's private home.
        let base = runAs == nil ? FileManager.default.temporaryDirectory : URL(fileURLWithPath: "/tmp")
        let directory = base.appendingPathComponent("herald-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        do {
            if let runAs { try chown(directory, to: runAs) }
            let unstarted = TemporaryPostgres(port: 0, directory: directory, binDirectory: binDirectory, runAs: runAs)
            try unstarted.initdb()
            for _ in 1...portAttempts {
                let server = TemporaryPostgres(port: try AlertmanagerProcess.freePort(), directory: directory,
                                               binDirectory: binDirectory, runAs: runAs)
                if try server.startServer() {
                    try server.startWatchdog()
                    return server
                }
            }
            throw HeraldProcessError(message: "postgres did not start on a free port; log:\n\(unstarted.logText())")
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private func initdb() throws {
        let result = try serverCommand("initdb", ["-D", dataDirectory.path, "-U", Self.user, "--auth=trust",
                                                  "-E", "UTF8", "--locale=C", "--no-sync"])
        guard result.status == 0 else {
            throw HeraldProcessError(message: "initdb failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
    }

    /// Starts `postgres` on `port` as a child of this process and waits until it takes
    /// connections; false when it exited first (e.g. the port was taken meanwhile).
    ///
    /// Not through `pg_ctl start`: Foundation's `Process` learns that a child ended when
    /// a socket it hands the child closes, and a postmaster that `pg_ctl` leaves running
    /// keeps that socket open, so waiting for `pg_ctl` never ends.
    private func startServer() throws -> Bool {
        // Test-only speed settings: no fsync (the data is thrown away), enough connections
        // for parallel tests each holding a small pool and several daemons.
        let options = [
            "-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)", "-c", "unix_socket_directories=\(directory.path)",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
            "-c", "shared_buffers=32MB",
        ]
        let server = serverProcess("postgres", ["-D", dataDirectory.path] + options)
        if !FileManager.default.fileExists(atPath: logFile.path) { _ = FileManager.default.createFile(atPath: logFile.path, contents: nil) }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        server.standardOutput = log
        server.standardError = log
        server.standardInput = FileHandle.nullDevice
        try server.run()
        let deadline = Date().addingTimeInterval(Self.startupLimit)
        while Date() < deadline, server.isRunning {
            if (try? psql("SELECT 1")) == "1" { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        if server.isRunning { kill(server.processIdentifier, SIGQUIT) }
        return false
    }

    /// A server program's `Process`, run as the unprivileged user when we are root.
    private func serverProcess(_ program: String, _ arguments: [String]) -> Process {
        let process = Process()
        let executable = binDirectory.appendingPathComponent(program)
        if let runAs {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(runAs)", "--regid=\(runAs)", "--init-groups", "--", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        return process
    }

    /// Runs a server program, as the unprivileged user when we are root.
    func serverCommand(_ program: String, _ arguments: [String]) throws -> CommandRunner.Result {
        let executable = binDirectory.appendingPathComponent(program)
        guard let runAs else {
            return try CommandRunner.run(executable, arguments, timeout: Self.startupLimit)
        }
        return try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                     ["--reuid=\(runAs)", "--regid=\(runAs)", "--init-groups", "--", executable.path] + arguments,
                                     timeout: Self.startupLimit)
    }

    /// A shell that waits for this process to end, then stops the server and removes the
    /// directory: the clean-up for a test process that crashed or was killed.
    private func startWatchdog() throws {
        let stop = runAs.map { "/usr/bin/setpriv --reuid=\($0) --regid=\($0) --init-groups -- " } ?? ""
        // A killed test process is a zombie until `swift test` reaps it: ended all the same.
        let script = """
            while \(ChildWatchdog.alive(getpid())); do sleep 1; done
            \(stop)'\(binDirectory.path)/pg_ctl' stop -D '\(dataDirectory.path)' -m immediate -w >/dev/null 2>&1
            rm -rf '\(directory.path)'
            """
        try ChildWatchdog.runDetached(script)
    }

    /// The newest `/usr/lib/postgresql/<major>/bin` with `initdb`, or `$HERALD_PG_BINDIR`.
    static func findBinDirectory() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["HERALD_PG_BINDIR"] { return URL(fileURLWithPath: path) }
        let root = "/usr/lib/postgresql"
        let majors = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for major in majors.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(major)/bin/initdb") {
            return URL(fileURLWithPath: "\(root)/\(major)/bin")
        }
        throw HeraldProcessError(message: "no PostgreSQL server binaries under \(root) (run scripts/install-deps --tests)")
    }

    /// `postgres` when it exists (Debian's server package creates it), else `nobody`.
    static func unprivilegedUser() -> String {
        getpwnam("postgres") != nil ? "postgres" : "nobody"
    }

    static func chown(_ url: URL, to user: String) throws {
        guard let entry = getpwnam(user) else { throw HeraldProcessError(message: "no user \(user)") }
        guard Foundation.chown(url.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw HeraldProcessError(message: "chown \(url.path) to \(user) failed: errno \(errno)")
        }
    }
}

/// The one server of a test process and its stop at exit.
private enum SharedServer {
    static let instance: Result<TemporaryPostgres, any Error> = {
        let result = Result { try TemporaryPostgres.start() }
        if case .success = result { atexit { try? SharedServer.instance.get().stop() } }
        return result
    }()
}
