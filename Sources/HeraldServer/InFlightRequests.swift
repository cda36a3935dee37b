import Foundation

/// The requests between their first header callback and MHD's completion callback, and the
/// shutdown state they are judged against. Shared by all MHD worker threads and `stop()`.
///
/// This is what makes stopping safe: MHD aborts in `MHD_stop_daemon` if a connection is
/// still suspended, so before stopping, every request still waiting for its handler is
/// answered 503 (`answerAllWaiting`), and none is dispatched afterwards (`admit`).
final class InFlightRequests: @unchecked Sendable {
    private let lock = NSLock()
    private var begun: [ObjectIdentifier: RequestExchange] = [:]
    private var draining = false
    private var closedToHandlers = false

    /// Number of requests begun and not completed.
    var count: Int { lock.withLock { begun.count } }

    /// True once `stop()` began: responses then carry `Connection: close`.
    var isDraining: Bool { lock.withLock { draining } }

    func begin(_ exchange: RequestExchange) {
        lock.withLock { begun[ObjectIdentifier(exchange)] = exchange }
    }

    func complete(_ exchange: RequestExchange) {
        lock.withLock { _ = begun.removeValue(forKey: ObjectIdentifier(exchange)) }
    }

    /// Whether a request may still go to the handler (false after the final sweep).
    func admit() -> Bool {
        lock.withLock { !closedToHandlers }
    }

    func startDraining() {
        lock.withLock { draining = true }
    }

    /// Closes the door to handlers and delivers `response` to every request still waiting
    /// for one (resuming suspended connections). Returns how many were cut short.
    func answerAllWaiting(with response: HTTPResponse) -> Int {
        let waiting = lock.withLock {
            closedToHandlers = true
            return Array(begun.values)
        }
        return waiting.reduce(0) { count, exchange in count + (exchange.deliver(response) ? 1 : 0) }
    }
}
