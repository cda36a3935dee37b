public import Foundation

/// nginx as a child of the test on a free loopback port, round-robin in front of several
/// `herald serve` instances: the load balancer of issue #20's chaos test. Everything it
/// writes (config, pid, logs, temp files) is under its own temp directory; nothing of the
/// Debian package's service (its config, `/var/log/nginx`, its unit) is read or started.
///
/// **One process.** `master_process off` runs nginx as a single process, so the pid this
/// object holds is all there is to stop: a master's workers would outlive a master that
/// was killed. nginx calls that mode a development setting; for a test it is the point.
///
/// **Retries.** A dead upstream (connection refused) and a stopped one (no answer in
/// `readTimeout`) pass the request to the next upstream: ingest is idempotent by event
/// id, so the same event reaching two instances is exactly what the chaos test must
/// survive (hence `non_idempotent`, which nginx needs to resend a POST). Herald's own
/// 429/503 go to the client with their Retry-After: they say "not accepted, try later",
/// and when the database is down every instance says so — counted as failures, 503s from
/// all three would mark every upstream down and nginx would answer 502 itself.
///
/// **Stopping.** `stop()` (also `deinit`) ends it; a watchdog shell kills it when the
/// test process has ended without doing so (a crash, SIGKILL).
public final class NginxProcess: @unchecked Sendable {
    /// Longest wait for nginx to take connections.
    public static let startupLimit: TimeInterval = 10
    /// Longest wait for it to exit after SIGTERM before SIGKILL.
    public static let exitLimit: TimeInterval = 5
    /// How long nginx waits for an upstream's answer before it tries the next one: a
    /// paused (SIGSTOP) instance costs a request this much, not the client's timeout.
    public static let readTimeout = 3
    /// How many upstreams one request may try (all three of the chaos test).
    public static let upstreamTries = 3
    /// How long an upstream that failed is skipped: short, so a restarted instance gets
    /// requests again soon.
    public static let failTimeout = 2
    /// How many free ports are tried when another process takes the one chosen first.
    static let portAttempts = 5

    public private(set) var port = 0
    public let directory: URL
    private let upstreams: [Int]
    private var process: Process?
    private let lock = NSLock()

    /// Starts nginx proxying to `127.0.0.1:<port>` for each of `upstreams`.
    public init(upstreams: [Int]) throws {
        precondition(!upstreams.isEmpty, "nginx needs at least one upstream")
        self.upstreams = upstreams
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-nginx-\(UUID().uuidString)")
        for sub in ["", "temp"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for _ in 1...Self.portAttempts {
            let candidate = try AlertmanagerProcess.freePort()
            if try start(port: candidate) { return }
        }
        let log = errorLog()
        try? FileManager.default.removeItem(at: directory)
        throw HeraldProcessError(message: "nginx did not start on a free port; error log:\n\(log)")
    }

    deinit { stop() }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }

    /// nginx's error log (why an upstream was skipped), for failure messages.
    public func errorLog() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
    }

    /// Access log lines: `status upstream-addresses upstream-statuses request`, one per
    /// request; a request that tried several instances lists them all (`a, b`).
    public func accessLog() -> [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// SIGTERM (fast shutdown), SIGKILL after `exitLimit`; removes the directory.
    public func stop() {
        let running = lock.withLock { () -> Process? in
            defer { process = nil }
            return process
        }
        if let running, running.isRunning {
            running.terminate()
            let deadline = Date().addingTimeInterval(Self.exitLimit)
            while running.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if running.isRunning { kill(running.processIdentifier, SIGKILL); running.waitUntilExit() }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Starting

    /// Writes the config for `port` and starts nginx; false when it exited before taking
    /// connections (the port was taken meanwhile).
    private func start(port candidate: Int) throws -> Bool {
        let config = directory.appendingPathComponent("nginx.conf")
        try Self.config(port: candidate, upstreams: upstreams, directory: directory).write(to: config, atomically: true, encoding: .utf8)
        let child = Process()
        child.executableURL = try Self.binary()
        // -p: the prefix for relative paths; -e: the error log from the first line on
        // (before the config is read nginx would open /var/log/nginx/error.log).
        child.arguments = ["-p", directory.path, "-c", config.path, "-e", directory.appendingPathComponent("error.log").path]
        child.standardInput = FileHandle.nullDevice
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        let ready = Poll.until(timeout: Self.startupLimit) { !child.isRunning || Self.accepts(port: candidate) }
        guard ready, child.isRunning else {
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
            child.waitUntilExit()
            return false
        }
        lock.withLock { process = child }
        port = candidate
        try ChildWatchdog.killWhenTestEnds(pid: child.processIdentifier)
        return true
    }

    /// The whole config: one server on `port`, one upstream group, files under `directory`.
    static func config(port: Int, upstreams: [Int], directory: URL) -> String {
        let dir = directory.path
        let servers = upstreams.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=\(failTimeout)s;" }.joined(separator: "\n")
        return """
            daemon off;
            master_process off;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                log_format herald '$status $upstream_addr $upstream_status "$request"';
                access_log \(dir)/access.log herald;
                client_body_temp_path \(dir)/temp/body;
                proxy_temp_path \(dir)/temp/proxy;
                fastcgi_temp_path \(dir)/temp/fastcgi;
                uwsgi_temp_path \(dir)/temp/uwsgi;
                scgi_temp_path \(dir)/temp/scgi;
                upstream herald {
            \(servers)
                    keepalive 16;
                }
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 4m;
                    location / {
                        proxy_pass http://herald;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_connect_timeout 1s;
                        proxy_read_timeout \(readTimeout)s;
                        proxy_send_timeout \(readTimeout)s;
                        proxy_next_upstream error timeout non_idempotent;
                        proxy_next_upstream_tries \(upstreamTries);
                        proxy_next_upstream_timeout \(upstreamTries * (readTimeout + 1))s;
                    }
                }
            }

            """
    }

    /// `/usr/sbin/nginx` (Debian's package `nginx`, `scripts/install-deps --tests`), or
    /// the path `$HERALD_NGINX` names.
    static func binary() throws -> URL {
        let path = ProcessInfo.processInfo.environment["HERALD_NGINX"] ?? "/usr/sbin/nginx"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HeraldProcessError(message: "no nginx at \(path) (run scripts/install-deps --tests)")
        }
        return URL(fileURLWithPath: path)
    }

    /// Whether something accepts TCP connections on the loopback `port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
