import Foundation
import Glibc

/// A deliberately dumb HTTP/1.1 client on a raw TCP socket, for the cases a real client
/// hides: keep-alive reuse, bodies never sent, chunked uploads, silent or excess connections.
/// Every read is bounded by a deadline.
final class RawHTTPConnection {
    /// A parsed response: status, lower-cased headers, body.
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data

        var errorBody: ErrorBodyShape? { try? JSONDecoder().decode(ErrorBodyShape.self, from: body) }
    }

    /// The JSON error shape the server promises (decoded independently of the server's type).
    struct ErrorBodyShape: Decodable, Equatable {
        struct Detail: Decodable, Equatable { let path: String; let message: String }
        let error: String
        let message: String
        let details: [Detail]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let fd: Int32
    private var buffered = Data()

    /// Connects to `host` (`127.0.0.1` or `::1`) on `port`.
    init(port: Int, host: String = "127.0.0.1") throws {
        let v6 = host.contains(":")
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var storage = sockaddr_storage()
        let length: Int
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            withUnsafeBytes(of: address) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = MemoryLayout<sockaddr_in6>.size
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            withUnsafeBytes(of: address) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = MemoryLayout<sockaddr_in>.size
        }
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(length)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect to \(host):\(port) failed: errno \(code)")
        }
    }

    deinit { close(fd) }

    /// Sends all of `text` (or fails quietly if the peer is gone; reads will tell).
    @discardableResult
    func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// Reads one response (Content-Length framed, as MHD sends buffer responses).
    func readResponse(timeout: TimeInterval = 5) throws -> Response {
        let deadline = Date().addingTimeInterval(timeout)
        let separator = Data("\r\n\r\n".utf8)
        while buffered.range(of: separator) == nil {
            guard try fill(until: deadline) else { throw Failure(description: "closed before headers: \(text(buffered))") }
        }
        let headerEnd = buffered.range(of: separator)!
        let lines = text(buffered[..<headerEnd.lowerBound]).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line '\(lines[0])'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headerEnd.upperBound
        while buffered.count - (bodyStart - buffered.startIndex) < length {
            guard try fill(until: deadline) else { throw Failure(description: "closed inside body") }
        }
        let body = buffered[bodyStart..<(bodyStart + length)]
        buffered = Data(buffered[(bodyStart + length)...])
        return Response(status: status, headers: headers, body: Data(body))
    }

    /// True if the peer closes (EOF or reset) within `timeout` while we send nothing.
    func waitForClose(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                if try !fill(until: deadline) { return true }
            } catch let failure as Failure where failure.description == "reset" {
                return true
            } catch {
                return false
            }
        }
    }

    /// Reads more bytes; false on EOF; throws on timeout or error.
    private func fill(until deadline: Date) throws -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw Failure(description: "timed out") }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollFD, 1, Int32(remaining * 1000) + 1)
        guard ready > 0 else { throw Failure(description: "timed out") }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n == 0 { return false }
        if n < 0 { throw Failure(description: errno == ECONNRESET ? "reset" : "recv errno \(errno)") }
        buffered.append(contentsOf: chunk[..<n])
        return true
    }

    private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
}
