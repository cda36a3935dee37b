import CMicroHTTPD
import Foundation
import Glibc
import HeraldSupport

/// One running libmicrohttpd daemon on the server's listening socket, with the context
/// its callbacks get. `HTTPServer` has one current daemon and, for a while after a TLS
/// reload, earlier ones that no longer accept but finish the connections they have.
///
/// Owns the `MHD_Daemon` handle (stopped in `finish`, its one release site), the retained
/// `ServerContext` (released there too, after `MHD_stop_daemon`) and its own duplicate of
/// the listening descriptor. MHD gets the duplicate, not the socket's descriptor, because
/// it closes the descriptor it was given when it fails to start (e.g. GnuTLS refusing a
/// key): closing the shared one would pull the socket from under the running daemon.
final class ServingDaemon: @unchecked Sendable {
    private let lock = NSLock()
    /// nil once `finish` stopped it; every MHD call on it happens under `lock`.
    private var handle: OpaquePointer?
    private var quiesced = false
    /// Our duplicate of the listening descriptor that MHD polls.
    private let listenDescriptor: Int32
    /// Whether `MHD_quiesce_daemon` handed the descriptor back: then MHD will not close it
    /// and `finish` does; otherwise `MHD_stop_daemon` closes it.
    private var descriptorReturned = false
    private let context: Unmanaged<ServerContext>

    /// Its requests; held on its own so it can be read after the context is released.
    let inFlight: InFlightRequests

    private init(handle: OpaquePointer, context: Unmanaged<ServerContext>, listenDescriptor: Int32) {
        self.handle = handle
        self.listenDescriptor = listenDescriptor
        self.context = context
        self.inFlight = context.takeUnretainedValue().inFlight
    }

    /// Starts a daemon on `socket` (already listening). Returns nil if MHD refused to
    /// start; its reason went to the log through the context's logger.
    ///
    /// MHD flags: epoll with internal threads; suspend/resume for late answers; ITC so a
    /// resume wakes the worker at once and `MHD_quiesce_daemon` works; errors to our log;
    /// TLS when credentials are given (GnuTLS copies the PEM text while starting).
    static func start(on socket: ListeningSocket, _ configuration: HTTPServerConfiguration,
                      tls: TLSCredentials?, context made: ServerContext) -> ServingDaemon? {
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_ITC.rawValue | MHD_USE_ERROR_LOG.rawValue
        if tls != nil { flags |= MHD_USE_TLS.rawValue }
        let descriptor = fcntl(socket.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        guard descriptor >= 0 else { return nil }
        let context = Unmanaged.passRetained(made)   // released in `finish`, or below if MHD fails to start
        let handle = withOptionalCString(tls?.certificatePEM) { certificate in
            withOptionalCString(tls?.keyPEM) { key in
                herald_mhd_start_daemon(
                    flags, descriptor,
                    UInt32(configuration.connectionLimit), configuration.connectionMemoryLimitBytes,
                    UInt32(configuration.connectionTimeoutSeconds), UInt32(configuration.threadPoolSize),
                    certificate, key, tls == nil ? nil : TLSCredentials.priorities,
                    MHDCallbacks.access, MHDCallbacks.completed, MHDCallbacks.log, context.toOpaque())
            }
        }
        guard let handle else {
            closeIfStillOpen(descriptor, duplicateOf: socket.fileDescriptor)
            context.release()
            return nil
        }
        return ServingDaemon(handle: handle, context: context, listenDescriptor: descriptor)
    }

    /// After a failed start MHD may or may not have closed `descriptor`. Close it only if
    /// it still is our duplicate (same socket inode), never a number reused meanwhile.
    private static func closeIfStillOpen(_ descriptor: Int32, duplicateOf original: Int32) {
        var ours = stat(), theirs = stat()
        guard fstat(descriptor, &ours) == 0, fstat(original, &theirs) == 0,
              ours.st_dev == theirs.st_dev, ours.st_ino == theirs.st_ino else { return }
        close(descriptor)
    }

    /// Connections this daemon holds (idle keep-alive ones included); 0 once finished.
    var connections: Int {
        lock.withLock { handle.map { Int(herald_mhd_current_connections($0)) } ?? 0 }
    }

    /// Stops taking new connections from the socket (which stays open for the next
    /// daemon) and marks every later answer `Connection: close`, so keep-alive clients
    /// move to the current daemon after their next request. Idempotent.
    func quiesce() {
        lock.withLock {
            guard let handle, !quiesced else { return }
            quiesced = true
            inFlight.startDraining()
            // MHD stops polling the socket and hands the descriptor back.
            descriptorReturned = MHD_quiesce_daemon(handle) >= 0
        }
    }

    /// Answers requests still waiting for their handler with `cutShortAnswer`, gives those
    /// answers `grace` to be written, then stops MHD (closing what connections remain) and
    /// releases the context. Returns how many were cut short; a second call does nothing.
    /// MHD aborts in `MHD_stop_daemon` while a connection is suspended, hence the sweep.
    @discardableResult
    func finish(cutShortAnswer: HTTPResponse, grace: TimeInterval) -> Int {
        quiesce()
        return lock.withLock {
            guard let handle else { return 0 }
            let cutShort = inFlight.answerAllWaiting(with: cutShortAnswer)
            _ = HTTPServer.wait(until: Date().addingTimeInterval(grace)) { inFlight.count == 0 }
            MHD_stop_daemon(handle)   // no connection is suspended any more
            if descriptorReturned { close(listenDescriptor) }
            self.handle = nil
            context.release()         // the retain from `start`
            return cutShort
        }
    }

    deinit {
        precondition(handle == nil, "a ServingDaemon was dropped without finish()")
    }
}

/// `body` with a C string for `text`, or NULL for nil.
private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
