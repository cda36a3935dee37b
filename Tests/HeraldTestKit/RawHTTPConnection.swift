public import Foundation
import Glibc

/// A deliberately dumb HTTP/1.1 client on a raw TCP socket, for the cases a real client
/// hides or refuses to send: keep-alive reuse, bodies never sent, chunked uploads,
/// conflicting framing, trickled bytes, silent or excess connections. Every read is
/// bounded by a deadline. Shared by the server tests and the daemon's acceptance tests.
public final class RawHTTPConnection {
    /// A parsed response: status, lower-cased headers, body.
    public struct Response: Sendable {
        public let status: Int
        public let headers: [String: String]
        public let body: Data

        /// The JSON error shape the server promises, decoded independently of its type.
        public var errorBody: ErrorBodyShape? { try? JSONDecoder().decode(ErrorBodyShape.self, from: body) }
    }

    /// `{"error", "message", "details"}` as the API documents it.
    public struct ErrorBodyShape: Decodable, Equatable, Sendable {
        public struct Detail: Decodable, Equatable, Sendable {
            public let path: String
            public let message: String

            public init(path: String, message: String) {
                self.path = path
                self.message = message
            }
        }
        public let error: String
        public let message: String
        public let details: [Detail]

        public init(error: String, message: String, details: [Detail]) {
            self.error = error
            self.message = message
            self.details = details
        }
    }

    /// What a bounded read came to, for tests that expect a close or silence as often
    /// as a response.
    public enum Outcome: Equatable, CustomStringConvertible, Sendable {
        case response(status: Int, body: String)
        case closed
        case timedOut

        public var status: Int? { if case .response(let status, _) = self { return status } else { return nil } }
        public var description: String {
            switch self {
            case .response(let status, let body): "\(status) \(body.prefix(200))"
            case .closed: "closed"
            case .timedOut: "timed out"
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        var timedOut: Bool { description == "timed out" }
    }

    private let fd: Int32
    private var buffered = Data()

    /// Connects to `host` (`127.0.0.1` or `::1`) on `port`.
    public init(port: Int, host: String = "127.0.0.1") throws {
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
    public func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    @discardableResult
    public func send(_ data: Data) -> Bool {
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
    public func readResponse(timeout: TimeInterval = 5) throws -> Response {
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

    /// One response, or whether the peer closed (EOF, reset, or mid-response) or stayed
    /// silent until `timeout`.
    public func read(timeout: TimeInterval = 5) -> Outcome {
        do {
            let response = try readResponse(timeout: timeout)
            return .response(status: response.status, body: String(decoding: response.body, as: UTF8.self))
        } catch let failure as Failure {
            return failure.timedOut ? .timedOut : .closed
        } catch {
            return .closed
        }
    }

    /// True if the peer closes (EOF or reset) within `timeout` while we send nothing.
    public func waitForClose(timeout: TimeInterval) -> Bool {
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
