import Foundation
import HeraldServer
import HeraldSupport

/// Starts a real server on 127.0.0.1 port 0 and stops it when the body ends, however it ends.
@discardableResult
func withServer<T>(_ handler: HTTPHandler,
                   configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                   metrics: MetricsRegistry = MetricsRegistry(),
                   logLines: LogCollector = LogCollector(),
                   _ body: (HTTPServer) async throws -> T) async throws -> T {
    var configuration = try HTTPServerConfiguration(listen: "127.0.0.1:0")
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, handler: handler,
                            logger: logLines.logger, metrics: metrics)
    try server.start()
    defer { server.stop(drainTimeout: 1) }
    return try await body(server)
}

/// Collects log lines so tests can check what was (and was not) logged.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    var lines: [String] { lock.withLock { collected } }

    var logger: Logger {
        Logger(label: "test", minimumLevel: .debug, environment: [:]) { [self] line in
            lock.withLock { collected.append(line) }
        }
    }
}

/// A thread-safe box for values handed from handler threads to the test.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withValue<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
    var current: Value { withValue { $0 } }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
func eventually(timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}

/// A GET request with keep-alive semantics (HTTP/1.1 default).
func getRequest(_ path: String) -> String {
    "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"
}
