import Foundation
import Glibc
import Testing
import HeraldTestKit

/// The real `herald serve` under systemd's protocols: sd_notify messages, SIGHUP reload
/// (good and bad configs), SIGTERM under load, and socket activation.
@Suite(.serialized)
struct DaemonLifecycleTests {
    static let token = "lifecycle-token"
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The seed example with its target pointed at `url` (or at a closed port).
    static func exampleConfig(target url: String = "http://127.0.0.1:9/closed") throws -> String {
        try String(contentsOf: Fixtures.url("Config/example.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:9099/herald", with: url)
    }

    static var environment: [String: String] { ["HERALD_TOKEN": token, "HERALD_WEBHOOK_SECRET": secret] }

    static func event(_ value: Double, id: String, subject: String = "p-1", minute: Int = 0) -> String {
        #"{"id": "\#(id)", "metric": "utilisation_variance", "value": \#(value), "subject": {"id": "\#(subject)"},"# +
            #" "relations": {"primary_coordinator": "u-chloe"}, "timestamp": "2026-01-01T00:\#(String(format: "%02d", minute)):00Z"}"#
    }

    @Test func notifiesReadyReloadingWatchdogAndStopping() throws {
        let listener = try NotifySocketListener(abstract: false)
        var environment = Self.environment
        environment["NOTIFY_SOCKET"] = listener.notifySocket
        environment["WATCHDOG_USEC"] = "400000"
        let herald = try HeraldProcess(config: try Self.exampleConfig(), environment: environment)
        let startup = listener.drain(forMilliseconds: 600)
        #expect(startup.first?.hasPrefix("READY=1\nSTATUS=0 events accepted") == true, "\(startup)")
        #expect(startup.contains("WATCHDOG=1"), "watchdog pings at half of WATCHDOG_USEC: \(startup)")

        herald.signal(SIGHUP)
        let reload = listener.drain(forMilliseconds: 800).filter { $0 != "WATCHDOG=1" }
        #expect(reload.first?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true, "\(reload)")
        let monotonic = reload.first.flatMap { $0.split(separator: "=").last }.flatMap { UInt64($0) } ?? 0
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowMicros = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        #expect(monotonic > 0 && monotonic <= nowMicros && nowMicros - monotonic < 5_000_000)
        #expect(reload.dropFirst().first?.hasPrefix("READY=1\nSTATUS=") == true, "\(reload)")

        #expect(herald.stop() == 0)
        let stop = listener.drain(forMilliseconds: 300).filter { $0 != "WATCHDOG=1" }
        #expect(stop.first == "STOPPING=1", "\(stop)")
    }

    @Test func reloadWithAGoodConfigChangesRoutingAndABadOneChangesNothing() throws {
        let listener = try NotifySocketListener(abstract: true)
        var environment = Self.environment
        environment["NOTIFY_SOCKET"] = listener.notifySocket
        let original = try Self.exampleConfig()
        let herald = try HeraldProcess(config: original, environment: environment)
        func firingRecipients(_ subject: String) throws -> [String] {
            let response = try HTTPClient.post(herald.url("/v1/explain"), json: Self.event(12, id: "x-\(subject)", subject: subject), token: Self.token)
            let steps = response.json["steps"] as? [[String: Any]]
            let notification = ((steps?.first?["rules"] as? [[String: Any]])?.first?["notifications"] as? [[String: Any]])?.first
            return (notification?["recipients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
        #expect(try firingRecipients("p-1") == ["u-chloe", "u-maya", "u-noah", "u-rita"])

        // Good: the 10% tier now tells only the owner.
        try herald.writeConfig(original.replacingOccurrences(of: #"{ "relation": "primary_coordinator" }, { "group": "manager" }"#, with: #"{ "owner": true }"#))
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reloaded"))
        #expect(herald.logText().contains("changes=\"users +0 -0 ~0, groups +0 -0 ~0, rules +0 -0 ~1, targets +0 -0 ~0\""))
        #expect(try firingRecipients("p-2") == ["u-olivia"])

        // Bad: refused, the previous config keeps routing, the failure is reported.
        try herald.writeConfig(#"{"users": [{"id": "a"}], "rulez": []}"#)
        _ = listener.drain(forMilliseconds: 100)
        herald.signal(SIGHUP)
        #expect(herald.waitForLog("config reload failed"))
        #expect(herald.logText().contains("unknown key 'rulez' (did you mean 'rules'?)"))
        #expect(try firingRecipients("p-3") == ["u-olivia"])
        let metrics = try HTTPClient.get(herald.url("/metrics")).text
        #expect(metrics.contains(#"herald_config_reloads_total{result="failure"} 1"#))
        #expect(metrics.contains(#"herald_config_reloads_total{result="success"} 1"#))
        let messages = listener.drain(forMilliseconds: 500)
        #expect(messages.contains { $0.hasPrefix("READY=1\nSTATUS=") && $0.contains("last reload FAILED") }, "\(messages)")
    }

    @Test func sigtermUnderLoadDrainsAndLosesNothing() throws {
        let herald = try HeraldProcess(config: try Self.exampleConfig(), environment: Self.environment)
        let acknowledged = AcknowledgedIDs()
        let group = DispatchGroup()
        let url = herald.url("/v1/events")
        // Four clients post bounded runs of events; SIGTERM arrives in the middle.
        for client in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                for n in 0..<400 {
                    let id = "load-\(client)-\(n)"
                    guard let response = try? HTTPClient.post(url, json: Self.event(Double(n % 40), id: id, subject: "s-\(client)-\(n % 7)"),
                                                              token: Self.token) else { return }
                    if response.status == 202 { acknowledged.add(id) } else if response.status != 503 { return }
                }
            }
        }
        #expect(Poll.until(timeout: 20) { acknowledged.count >= 200 })
        #expect(herald.stop() == 0, "SIGTERM under load exits 0")
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(herald.logText().contains("herald stopped"))

        // Every acknowledged event is durable: posted again after a restart, each one is a duplicate.
        try herald.start()
        let ids = acknowledged.all
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let batch = ids[chunk..<min(chunk + 500, ids.count)].map { Self.event(1, id: $0, subject: "again") }
            let response = try HTTPClient.post(url, json: #"{"events": [\#(batch.joined(separator: ","))]}"#, token: Self.token)
            #expect(response.status == 202)
            #expect(response.json["duplicates"] as? Int == batch.count, "lost: \(batch.count - (response.json["duplicates"] as? Int ?? 0))")
        }
    }

    @Test func servesOnASocketPassedBySystemd() throws {
        // A small launcher plays systemd: it binds the socket, moves it to fd 3, sets
        // LISTEN_FDS/LISTEN_PID for its own pid and execs herald (same pid).
        let launcher = """
        import os, socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0)); s.listen(64)
        print(s.getsockname()[1], flush=True)
        os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
        os.execv(sys.argv[1], sys.argv[1:])
        """
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("herald-activation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let config = work.appendingPathComponent("config.json")
        try Self.exampleConfig().write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", launcher, HeraldProcess.binary.path, "serve", "--config", config.path,
                             "--state-dir", work.appendingPathComponent("state").path, "--listen", "127.0.0.1:1"]
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        let url = URL(string: "http://127.0.0.1:\(port)/healthz")!
        #expect(Poll.until(timeout: 10) { (try? HTTPClient.get(url).status) == 200 }, "herald answers on the passed socket, not on --listen")
        kill(process.processIdentifier, SIGTERM)
        // terminationStatus may only be read once the process has exited.
        guard Poll.until(timeout: 20, { !process.isRunning }) else {
            Issue.record("herald did not exit within 20 s of SIGTERM")
            return
        }
        #expect(process.terminationStatus == 0)
    }
}

/// Event ids answered 202, collected from several client threads.
final class AcknowledgedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []
    func add(_ id: String) { lock.withLock { ids.append(id) } }
    var count: Int { lock.withLock { ids.count } }
    var all: [String] { lock.withLock { ids } }
}
