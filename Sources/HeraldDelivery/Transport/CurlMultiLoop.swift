import CCurl
import Dispatch
import Foundation

/// The state behind `WebhookClient`: a locked inbox that any thread may fill, and the
/// curl state (multi handle, active transfers, idle handle pool) that only the loop
/// thread touches. `@unchecked Sendable` for that reason: everything else is behind `lock`.
final class CurlMultiLoop: @unchecked Sendable {
    typealias Completion = @Sendable (WebhookResponse) -> Void

    /// Longest sleep in `curl_multi_poll` when curl has no earlier timer of its own:
    /// bounds how late a shutdown deadline is noticed if a wake-up were ever lost.
    static let maxPollMilliseconds: Int32 = 1000
    /// Idle easy handles kept for reuse; more than this many concurrent transfers is rare,
    /// and extra handles are freed instead of pooled.
    static let maxIdleHandles = 64

    private enum State { case running, draining(deadline: DispatchTime), stopped }

    private let lock = NSLock()
    private var state = State.running                      // guarded by lock
    private var inbox: [(WebhookRequest, Completion)] = [] // guarded by lock
    private var multi: CurlMulti?                          // set to nil under lock at exit
    private var createdHandles = 0                         // guarded by lock

    // Loop thread only:
    private var active: [UnsafeMutableRawPointer: (CurlEasy, Completion)] = [:]
    private var idle: [CurlEasy] = []

    private let callbackQueue: DispatchQueue
    /// Signalled once when the loop has exited and curl is released.
    let stopped = DispatchSemaphore(value: 0)

    init(multi: CurlMulti, callbackQueue: DispatchQueue) {
        self.multi = multi
        self.callbackQueue = callbackQueue
    }

    var easyHandlesCreatedCount: Int { lock.withLock { createdHandles } }

    // MARK: - Any thread

    func submit(_ request: WebhookRequest, completion: @escaping Completion) {
        let accepted: Bool = lock.withLock {
            guard case .running = state else { return false }
            inbox.append((request, completion))
            multi?.wakeup()
            return true
        }
        if !accepted { finish(completion, Self.failure(.aborted)) }
    }

    func requestStop(deadline: DispatchTime) {
        lock.withLock {
            switch state {
            case .running: state = .draining(deadline: deadline)
            case .draining(let current): state = .draining(deadline: min(current, deadline))
            case .stopped: return
            }
            multi?.wakeup()
        }
    }

    // MARK: - Loop thread

    /// Runs until a requested stop has drained or hit its deadline, then frees curl.
    func run() {
        while let multi = lock.withLock({ self.multi }) {
            let (requests, deadline) = takeInbox()
            for (request, completion) in requests { start(request, completion, on: multi) }
            if let deadline, active.isEmpty || DispatchTime.now() >= deadline { break }
            var running: Int32 = 0
            let code = curl_multi_perform(multi.handle, &running)
            if code != CURLM_OK { failAll(.other(code: Int(code.rawValue), message: CurlMulti.message(code)), on: multi) }
            collectFinished(on: multi)
            if deadline != nil && active.isEmpty { continue }
            _ = curl_multi_poll(multi.handle, nil, 0, pollMilliseconds(until: deadline), nil)
        }
        if let multi = lock.withLock({ self.multi }) { failAll(.aborted, on: multi) }
        idle.removeAll()
        lock.withLock {
            state = .stopped
            multi = nil
        }
        stopped.signal()
    }

    private func takeInbox() -> ([(WebhookRequest, Completion)], DispatchTime?) {
        lock.withLock {
            let requests = inbox
            inbox.removeAll()
            if case .draining(let deadline) = state { return (requests, deadline) }
            return (requests, nil)
        }
    }

    private func start(_ request: WebhookRequest, _ completion: @escaping Completion, on multi: CurlMulti) {
        if let name = request.unsafeHeaderName {
            return finish(completion, Self.failure(.invalidRequest("header '\(name)' has an invalid name or a line break")))
        }
        guard let easy = idle.popLast() ?? makeEasy() else {
            return finish(completion, Self.failure(.other(code: -1, message: "cannot allocate a curl handle")))
        }
        do {
            try easy.prepare(request)
        } catch {
            recycle(easy)
            return finish(completion, Self.failure(error))
        }
        let added = curl_multi_add_handle(multi.handle, easy.handle)
        guard added == CURLM_OK else {
            recycle(easy)
            return finish(completion, Self.failure(.other(code: Int(added.rawValue), message: CurlMulti.message(added))))
        }
        active[easy.handle] = (easy, completion)
    }

    private func collectFinished(on multi: CurlMulti) {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi.handle, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                  let (easy, completion) = active.removeValue(forKey: handle) else { continue }
            let response = easy.response(result: message.pointee.data.result)
            curl_multi_remove_handle(multi.handle, handle)
            recycle(easy)
            finish(completion, response)
        }
    }

    /// Removes every active transfer and completes it with `error`.
    private func failAll(_ error: TransportError, on multi: CurlMulti) {
        for (handle, (easy, completion)) in active {
            curl_multi_remove_handle(multi.handle, handle)
            var response = easy.response(result: CURLE_OK)
            response.error = error
            response.status = nil
            recycle(easy)
            finish(completion, response)
        }
        active.removeAll()
    }

    private func makeEasy() -> CurlEasy? {
        let easy = CurlEasy()
        if easy != nil { lock.withLock { createdHandles += 1 } }
        return easy
    }

    private func recycle(_ easy: CurlEasy) {
        if idle.count < Self.maxIdleHandles { idle.append(easy) }
    }

    private func pollMilliseconds(until deadline: DispatchTime?) -> Int32 {
        guard let deadline else { return Self.maxPollMilliseconds }
        let now = DispatchTime.now()
        guard deadline > now else { return 0 }
        let millis = (deadline.uptimeNanoseconds - now.uptimeNanoseconds) / 1_000_000 + 1
        return Int32(min(UInt64(Self.maxPollMilliseconds), millis))
    }

    private func finish(_ completion: @escaping Completion, _ response: WebhookResponse) {
        callbackQueue.async { completion(response) }
    }

    private static func failure(_ error: TransportError) -> WebhookResponse {
        WebhookResponse(status: nil, retryAfter: nil, excerpt: Data(), error: error, duration: 0)
    }
}
