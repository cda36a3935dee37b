import CMicroHTTPD
import Foundation
import HeraldSupport

/// The C entry points given to libmicrohttpd. They only unpack the `void *` context (a
/// `ServerContext` retained by `HTTPServer`) and forward; the logic lives in Swift methods.
/// Defined at file scope outside `main.swift`, as SYSLIBS.md advises for C callbacks.
enum MHDCallbacks {
    /// MHD_AccessHandlerCallback: called several times per request (headers, body pieces, end).
    static let access: MHD_AccessHandlerCallback = { context, connection, url, method, _, uploadData, uploadSize, requestState in
        guard let context, let connection, let uploadSize, let requestState else { return MHD_Result.NO }
        let server = Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
        let upload = UnsafeRawBufferPointer(start: uploadData, count: uploadData == nil ? 0 : uploadSize.pointee)
        return server.access(connection: connection,
                             url: url.map { String(cString: $0) } ?? "/",
                             method: method.map { String(cString: $0) } ?? "GET",
                             upload: upload, uploadSize: uploadSize, requestState: requestState)
    }

    /// MHD_RequestCompletedCallback: fires once per request that reached the access handler,
    /// also on aborts, timeouts and daemon shutdown.
    static let completed: MHD_RequestCompletedCallback = { context, _, requestState, _ in
        guard let context, let requestState else { return }
        Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue().completed(requestState: requestState)
    }

    /// Longest MHD log line kept; MHD's messages are one short sentence.
    static let logLineBytes = 512

    /// MHD_LogCallback: MHD's own diagnostics (bind problems, connection limit reached, …)
    /// go into the structured log, like journal-remote's `microhttpd_logger`.
    static let log: MHD_LogCallback = { context, format, arguments in
        guard let context, let format, let arguments else { return }
        Unmanaged<ServerContext>.fromOpaque(context).takeUnretainedValue()
            .logger.info("microhttpd: \(line(format, arguments))")
    }

    /// MHD_LogCallback for a one-off call whose context is an `MHDLogLines` (the TLS check),
    /// so GnuTLS's reason can become the error message.
    static let collect: MHD_LogCallback = { context, format, arguments in
        guard let context, let format, let arguments else { return }
        Unmanaged<MHDLogLines>.fromOpaque(context).takeUnretainedValue().append(line(format, arguments))
    }

    /// One MHD log line, formatted in C (it is a printf format with a va_list).
    private static func line(_ format: UnsafePointer<CChar>, _ arguments: CVaListPointer) -> String {
        var buffer = [CChar](repeating: 0, count: logLineBytes)
        herald_mhd_format_log(&buffer, buffer.count, format, arguments)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
