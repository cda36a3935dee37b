import CMicroHTTPD
import Foundation

/// Reads a request's headers, query arguments and peer address out of an MHD connection.
enum MHDRequestReader {
    /// A single header value (MHD compares names case-insensitively).
    static func header(_ connection: OpaquePointer, _ name: String) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// The complete `HTTPRequest` for a fully received exchange.
    static func request(_ exchange: RequestExchange) -> HTTPRequest {
        let connection = exchange.connection
        var headers: [String: String] = [:]
        for (name, value) in values(connection, .HEADER_KIND) {
            let key = name.asciiLowercased
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        var query: [String: String] = [:]
        for (name, value) in values(connection, .GET_ARGUMENT_KIND) { query[name] = value }
        let remote = herald_mhd_client_address(connection).flatMap(SocketAddress.numericHost)
        return HTTPRequest(method: exchange.method, path: exchange.path, query: query, headers: headers,
                           body: exchange.body, remoteAddress: remote)
    }

    /// Collects the (name, value) pairs of one kind via `MHD_get_connection_values`; the
    /// C iterator cannot capture, so the collector travels through its `void *` argument.
    private static func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
        final class Collector { var pairs: [(String, String)] = [] }
        let collector = Collector()
        let iterator: MHD_KeyValueIterator = { context, _, key, value in
            guard let context, let key else { return MHD_Result.YES }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
            return MHD_Result.YES
        }
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(connection, kind, iterator,
                                          Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.pairs
    }
}

/// Turns an `HTTPResponse` into a queued MHD response.
enum MHDResponseWriter {
    /// Creates an MHD response (body copied, so Swift memory need not outlive the call),
    /// adds the headers, queues it and drops our reference (MHD keeps its own).
    static func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        let created = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                            .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse = created else { return MHD_Result.NO }
        defer { MHD_destroy_response(mhdResponse) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(mhdResponse, name, value)
        }
        return MHD_queue_response(connection, UInt32(clamping: response.status), mhdResponse)
    }
}
