import CMicroHTTPD
import Foundation

/// The state of one request on one MHD connection, from its headers to its completion.
///
/// MHD keeps a retained pointer to it in `*req_cls` (released in the request-completed
/// callback, the one release site). Body fields are touched only by the MHD thread that
/// processes the connection (MHD calls the access handler for a connection serially). The
/// response hand-off is the part that crosses threads: the handler may answer from any
/// thread, so it is guarded by `lock` and resumes the suspended connection.
final class RequestExchange: @unchecked Sendable {
    /// Where the request is in its life.
    enum Phase {
        /// Headers seen, body (if any) arriving.
        case receiving
        /// Given to the handler; waiting for its response (connection possibly suspended).
        case awaitingResponse
        /// A response has been queued to MHD.
        case answered
    }

    /// Bytes of an oversized chunked body we read and discard before giving up on the
    /// connection: draining lets a well-behaved client read its 413, but a client that
    /// keeps streaming must not hold a worker forever.
    static let oversizedDrainAllowanceBytes = 4 * 1024 * 1024

    let connection: OpaquePointer
    let method: String
    let path: String
    let startedAt: DispatchTime
    private let bodyLimit: Int

    // MHD-thread-only state.
    private(set) var phase = Phase.receiving
    private(set) var body = Data()
    private(set) var discardedBytes = 0

    // Cross-thread hand-off, guarded by `lock`.
    private let lock = NSLock()
    private var response: HTTPResponse?
    private var suspended = false
    private var completed = false
    private var queued = false

    init(connection: OpaquePointer, method: String, path: String, bodyLimit: Int) {
        self.connection = connection
        self.method = method
        self.path = path
        self.bodyLimit = bodyLimit
        self.startedAt = .now()
    }

    /// True once more body arrived than the limit allows (chunked uploads, where the size
    /// was not announced); the rest is drained and answered 413 at the end.
    var isOversized: Bool { discardedBytes > 0 }

    /// Appends a body piece, or counts it as discarded once the limit is exceeded; never
    /// buffers beyond the limit. Returns false when the client must be dropped instead.
    func receive(_ piece: UnsafeRawBufferPointer) -> Bool {
        if !isOversized, body.count + piece.count <= bodyLimit {
            body.append(contentsOf: piece)
            return true
        }
        if !isOversized { discardedBytes = body.count }
        body = Data()
        discardedBytes += piece.count
        return discardedBytes <= bodyLimit + Self.oversizedDrainAllowanceBytes
    }

    /// Marks the hand-off to the handler.
    func markDispatched() { phase = .awaitingResponse }

    /// Marks that a response was queued to MHD; a later `deliver` (e.g. the shutdown sweep)
    /// then has nothing to do.
    func markAnswered() {
        phase = .answered
        lock.withLock { queued = true }
    }

    /// Called by the handler's responder, from any thread. The first response wins; one that
    /// arrives after the request completed (client gone, server stopped) is dropped. Returns
    /// whether this response was taken.
    @discardableResult
    func deliver(_ response: HTTPResponse) -> Bool {
        lock.lock()
        guard self.response == nil, !completed, !queued else {
            lock.unlock()
            return false
        }
        self.response = response
        let mustResume = suspended
        suspended = false
        lock.unlock()
        // Resuming outside the lock is safe: a suspended connection is never freed by MHD
        // until it is resumed, and only the thread that flipped `suspended` resumes it.
        if mustResume { MHD_resume_connection(connection) }
        return true
    }

    /// On the MHD thread, after the handler returned: the response if it already arrived,
    /// otherwise suspends the connection (atomically with respect to `deliver`) and returns nil.
    func responseOrSuspend() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        if let response { return response }
        suspended = true
        MHD_suspend_connection(connection)
        return nil
    }

    /// On the MHD thread, after a resume: the delivered response.
    func takeResponse() -> HTTPResponse? {
        lock.withLock { response }
    }

    /// Called from MHD's request-completed callback: later responses are dropped.
    func markCompleted() {
        lock.withLock { completed = true }
    }
}
