import CMicroHTTPD
import Foundation
import HeraldSupport

/// What the MHD callbacks need: the handler, limits, bookkeeping and telemetry. MHD holds
/// one retained pointer to it (`HTTPServer.start`), released after `MHD_stop_daemon`.
///
/// The access handler follows journal-remote's order, each failure with its own status:
/// first call → set up state, refuse an announced oversized body (413) without reading it,
/// and — for a request that announces a body — whatever the handler refuses from the head
/// alone (404/405/401/403/415, `HTTPHandler.refusal(beforeBody:)`);
/// body calls → buffer up to the limit, drain beyond it; last call → 413 for an oversized
/// chunked body, else build the request and hand it to the handler, suspending the
/// connection until the answer arrives. Answering on a later call than the first keeps
/// the connection alive (MHD closes it when the first call answers).
final class ServerContext: @unchecked Sendable {
    let handler: HTTPHandler
    let logger: Logger
    let metrics: HTTPMetrics
    let maxBodyBytes: Int
    let inFlight = InFlightRequests()

    init(handler: HTTPHandler, logger: Logger, metrics: HTTPMetrics, maxBodyBytes: Int) {
        self.handler = handler
        self.logger = logger
        self.metrics = metrics
        self.maxBodyBytes = maxBodyBytes
    }

    // MARK: - Access handler

    /// One call of MHD's access handler for `connection`; returns whether MHD should go on.
    func access(connection: OpaquePointer, url: String, method: String,
                upload: UnsafeRawBufferPointer, uploadSize: UnsafeMutablePointer<Int>,
                requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let state = requestState.pointee else {
            return begin(connection: connection, url: url, method: method, requestState: requestState)
        }
        let exchange = Unmanaged<RequestExchange>.fromOpaque(state).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let keepGoing = exchange.receive(upload)
            uploadSize.pointee = 0
            return keepGoing ? MHD_Result.YES : MHD_Result.NO
        }
        switch exchange.phase {
        case .receiving:
            return finishReceiving(exchange)
        case .awaitingResponse:
            guard let response = exchange.takeResponse() else {
                // Resumed without a response cannot happen (only `deliver` resumes); wait again.
                return exchange.responseOrSuspend().map { queue($0, for: exchange) } ?? MHD_Result.YES
            }
            return queue(response, for: exchange)
        case .answered:
            return MHD_Result.YES
        }
    }

    /// First call: headers only. Creates the request state; refuses a body announced too large.
    private func begin(connection: OpaquePointer, url: String, method: String,
                       requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        let exchange = RequestExchange(connection: connection, method: method, path: url, bodyLimit: maxBodyBytes)
        requestState.pointee = Unmanaged.passRetained(exchange).toOpaque()   // released in `completed`
        inFlight.begin(exchange)
        // MHD itself answers 400 to a malformed Content-Length before calling us.
        if let announced = MHDRequestReader.header(connection, "Content-Length").flatMap(UInt64.init),
           announced > UInt64(maxBodyBytes) {
            // Answering on the first call: MHD sends no 100 Continue, skips the body and
            // closes the connection, which is what an oversized upload deserves.
            return queue(TransportErrors.bodyTooLarge(limit: maxBodyBytes), for: exchange)
        }
        // MHD frames such a body by Transfer-Encoding and keeps the connection alive.
        if MHDRequestReader.header(connection, "Content-Length") != nil,
           MHDRequestReader.header(connection, "Transfer-Encoding") != nil {
            return queue(TransportErrors.ambiguousFraming, for: exchange)
        }
        // Route, method, credentials and content type are in the head: a request that will
        // be refused is refused now, before MHD reads (and we buffer) its body. Answering
        // on the first call sends no 100 Continue and closes the connection. A request
        // without a body goes the usual way, so its refusal keeps the connection alive.
        if Self.announcesBody(connection), let refusal = handler.refusal(beforeBody: MHDRequestReader.request(exchange)) {
            return queue(refusal, for: exchange)
        }
        return MHD_Result.YES
    }

    /// A non-zero `Content-Length` or any `Transfer-Encoding` (a chunked body).
    private static func announcesBody(_ connection: OpaquePointer) -> Bool {
        if MHDRequestReader.header(connection, "Transfer-Encoding") != nil { return true }
        return MHDRequestReader.header(connection, "Content-Length").flatMap(UInt64.init).map { $0 > 0 } ?? false
    }

    /// Last call: the whole body is in. Either 413, 503 while stopping, or the handler.
    private func finishReceiving(_ exchange: RequestExchange) -> MHD_Result {
        if exchange.isOversized {
            return queue(TransportErrors.bodyTooLarge(limit: maxBodyBytes), for: exchange)
        }
        guard inFlight.admit() else {
            return queue(TransportErrors.shuttingDown, for: exchange)
        }
        let request = MHDRequestReader.request(exchange)
        exchange.markDispatched()
        handler.handle(request) { [exchange] response in exchange.deliver(response) }
        if let response = exchange.responseOrSuspend() {
            return queue(response, for: exchange)
        }
        return MHD_Result.YES
    }

    // MARK: - Responses

    /// Builds the MHD response, queues it and counts it. While draining every response
    /// carries `Connection: close` so keep-alive clients let go of the connection.
    private func queue(_ response: HTTPResponse, for exchange: RequestExchange) -> MHD_Result {
        exchange.markAnswered()
        var response = response
        if inFlight.isDraining { response.headers.append(("Connection", "close")) }
        let result = MHDResponseWriter.queue(response, on: exchange.connection)
        if result == MHD_Result.NO {
            logger.warning("could not queue HTTP response, closing the connection",
                           ["status": response.status, "path": exchange.path])
        }
        metrics.record(route: response.routeLabel, status: response.status, since: exchange.startedAt)
        return result
    }

    // MARK: - Completion

    /// MHD's request-completed callback: the request is over (answered, aborted, timed out
    /// or daemon shut down). Releases the state retained in `begin`.
    func completed(requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let state = requestState.pointee else { return }
        requestState.pointee = nil
        let exchange = Unmanaged<RequestExchange>.fromOpaque(state).takeRetainedValue()
        exchange.markCompleted()
        inFlight.complete(exchange)
    }
}
