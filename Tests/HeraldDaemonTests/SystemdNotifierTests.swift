import Foundation
import Glibc
import HeraldSupport
import Synchronization
import Testing
@testable import HeraldDaemon

/// The exact datagrams systemd would receive, on a socket the test binds itself.
@Suite struct SystemdNotifierTests {
    @Test(arguments: [false, true]) // a file-system socket, then an abstract one
    func sendsTheStateMessagesAsSingleDatagrams(abstract: Bool) throws {
        let listener = try NotifySocketListener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        #expect(notifier.isEnabled)

        #expect(notifier.ready(status: "serving 3 rules"))
        #expect(listener.receive() == "READY=1\nSTATUS=serving 3 rules")
        #expect(notifier.stopping())
        #expect(listener.receive() == "STOPPING=1")
        #expect(notifier.watchdog())
        #expect(listener.receive() == "WATCHDOG=1")
        #expect(notifier.status("reload failed: 2 errors"))
        #expect(listener.receive() == "STATUS=reload failed: 2 errors")
    }

    @Test func reloadingCarriesTheMonotonicClockInMicroseconds() throws {
        let listener = try NotifySocketListener(abstract: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        let before = Self.monotonicMicroseconds()
        #expect(notifier.reloading())
        let after = Self.monotonicMicroseconds()

        let message = try #require(listener.receive())
        let lines = message.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(stamp >= before && stamp <= after)
    }

    @Test func fieldsKeepTheirOrderAndNewlinesCannotInjectFields() throws {
        let listener = try NotifySocketListener(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        #expect(notifier.send(["STATUS": "line one\nREADY=1", "ERRNO": "5"]))
        #expect(listener.receive() == "STATUS=line one READY=1\nERRNO=5")
        #expect(notifier.send("EXTEND_TIMEOUT_USEC=5000000"))
        #expect(listener.receive() == "EXTEND_TIMEOUT_USEC=5000000")
    }

    @Test func withoutNotifySocketEverythingIsASilentNoOp() {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test", environment: [:]) { line in lines.withLock { $0.append(line) } }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": ""], logger: logger)
        #expect(!notifier.isEnabled)
        #expect(!notifier.ready(status: "up"))
        #expect(!notifier.watchdog())
        #expect(lines.withLock { $0 }.isEmpty)
        #expect(!SystemdNotifier(environment: [:]).isEnabled)
    }

    /// Each case: a NOTIFY_SOCKET value or message the notifier must refuse, and the code.
    @Test func failuresAreTypedReturnedAndLoggedOnce() throws {
        let missingFile = "/tmp/herald-no-listener-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        let cases: [(socket: String, message: String, code: SystemdError.Code)] = [
            ("vsock:2:9999", "READY=1", .unsupportedNotifyAddress),        // newer transport, not spoken
            ("run/relative.sock", "READY=1", .unsupportedNotifyAddress),   // neither / nor @
            ("@", "READY=1", .unsupportedNotifyAddress),                   // empty abstract name
            ("/" + String(repeating: "x", count: 120), "READY=1", .notifyAddressTooLong), // > sun_path
            (missingFile, "READY=1", .systemCall),                         // nobody listening
        ]
        for example in cases {
            let lines = Mutex<[String]>([])
            let logger = Logger(label: "test", environment: [:]) { line in lines.withLock { $0.append(line) } }
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": example.socket], logger: logger)
            #expect(notifier.isEnabled)
            #expect(throws: SystemdError.self) { try notifier.deliver(example.message) }
            do { _ = try notifier.deliver(example.message) } catch { #expect(error.code == example.code, "\(example.socket)") }
            #expect(!notifier.ready(status: "up"))
            #expect(!notifier.watchdog())
            let logged = lines.withLock { $0 }
            #expect(logged.count == 1, "\(example.socket)")
            #expect(logged.first?.contains("code=\(example.code.rawValue)") == true)
        }
    }

    @Test func oversizedMessagesAndBadKeysAreRefused() throws {
        let listener = try NotifySocketListener(abstract: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.notifySocket])
        let huge = "STATUS=" + String(repeating: "a", count: SystemdNotifier.maximumMessageBytes)
        do { _ = try notifier.deliver(huge); Issue.record("expected a failure") } catch {
            #expect(error.code == .notifyMessageTooLong)
        }
        #expect(!notifier.send(["BAD=KEY": "1"]))
        #expect(!notifier.send(["": "1"]))
        #expect(listener.receive(timeoutMilliseconds: 100) == nil)
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
