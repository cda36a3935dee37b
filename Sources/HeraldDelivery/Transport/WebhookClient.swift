public import Dispatch
import Foundation

/// Sends webhook POSTs over libcurl's multi interface on one dedicated thread.
///
/// Why a thread with `curl_multi_poll` and not Dispatch sources fed by
/// `CURLMOPT_SOCKETFUNCTION`: with sources, curl may close a socket whose source is still
/// being cancelled, so Foundation's URLSession needs `CLOSESOCKETFUNCTION` and deferred
/// closes to stay correct. With `curl_multi_poll` curl owns its poll set, every curl call
/// happens on one thread, and `curl_multi_wakeup` is the only cross-thread call (curl
/// documents it as thread-safe). One blocked thread is cheap for Herald's traffic.
///
/// Completions run on `callbackQueue`, never on the curl thread, so slow completion code
/// cannot stall transfers.
public final class WebhookClient: Sendable {
    private let loop: CurlMultiLoop
    /// Where completions run; the dispatcher reports its own failures here too, so its
    /// reports arrive one at a time from one queue.
    let callbackQueue: DispatchQueue

    /// Starts the transfer thread. Throws when curl cannot initialise.
    public init(callbackQueue: DispatchQueue = DispatchQueue(label: "herald.delivery.client.callbacks")) throws(TransportError) {
        guard CurlGlobal.initialized, let multi = CurlMulti() else {
            throw .other(code: -1, message: "libcurl initialisation failed")
        }
        self.callbackQueue = callbackQueue
        loop = CurlMultiLoop(multi: multi, callbackQueue: callbackQueue)
        let thread = Thread { [loop] in loop.run() }
        thread.name = "herald.curl"
        thread.start()
    }

    /// A client dropped without `shutdown` aborts what is left at once.
    deinit { loop.requestStop(deadline: .now()) }

    /// Starts one POST; `completion` runs exactly once, with `.aborted` if the client is
    /// shutting down.
    public func send(_ request: WebhookRequest, completion: @escaping @Sendable (WebhookResponse) -> Void) {
        loop.submit(request, completion: completion)
    }

    /// Lets transfers in flight finish until `deadline`, aborts the rest (their
    /// completions report `.aborted`), then returns once the thread has released curl.
    /// Waits at most until `deadline` plus `shutdownGrace`.
    public func shutdown(deadline: DispatchTime) {
        loop.requestStop(deadline: deadline)
        _ = loop.stopped.wait(timeout: deadline + Self.shutdownGrace)
    }

    /// Extra wait after the deadline for the thread to abort transfers and free handles:
    /// one poll wake-up plus cleanup, far below a second.
    public static let shutdownGrace: DispatchTimeInterval = .seconds(1)

    /// Number of easy handles created so far; stays small when handles are reused.
    var easyHandlesCreated: Int { loop.easyHandlesCreatedCount }
}
