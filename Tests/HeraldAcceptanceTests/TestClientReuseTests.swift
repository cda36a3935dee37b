import Foundation
import Glibc
import Testing
import HeraldTestKit

/// The test client (`HTTPClient`) against a server that closes an idle keep-alive
/// connection just as a request arrives on it, which HTTP allows (RFC 9112 §9.6) and
/// libmicrohttpd does for a request that comes within ~0.1 s after `connectionTimeout`.
///
/// libcurl then resends the request on a new connection, but URLSession on Linux cannot
/// give it a `httpBody` a second time (its `seekInputStream` does nothing for a data
/// body): the resent request announces its Content-Length and carries no body, the server
/// waits for it until its own timeout, and the client saw "Empty reply from server" — or,
/// with Herald's 15 s against the client's 10 s, a request that "hung". It happened to a
/// SCIM PATCH sent 15.0 s after the previous request to the same instance.
@Suite(.serialized)
struct TestClientReuseTests {
    /// A request with a body after the server dropped the connection it was sent on is
    /// answered, body and all.
    @Test func aRequestWithABodyIsAnsweredWhenTheServerDroppedTheConnection() throws {
        let server = try DroppingServer()
        defer { server.stop() }
        let first = try HTTPClient.send("PATCH", server.url("/first"), body: Data(#"{"n": 1}"#.utf8), timeout: 4)
        #expect(first.status == 200)
        #expect(first.text == #"{"n": 1}"#)
        let second = try HTTPClient.send("PATCH", server.url("/second"), body: Data(#"{"n": 2}"#.utf8), timeout: 4)
        #expect(second.status == 200)
        #expect(second.text == #"{"n": 2}"#, "the server received the second request without its body")
    }

    /// The real daemon, a SCIM PATCH for an unknown user sent just after its 1 s connection
    /// timeout, six times: each is answered 404 (with keep-alive, the first already failed
    /// in 4 runs of 4).
    @Test func scimPatchesJustAfterTheConnectionTimeoutAreAnswered() throws {
        let config = """
        {"users": [{"id": "owner", "owner": true}],
         "server": {"listen": "127.0.0.1:0", "connectionTimeout": "1s", "tokens": [
           {"id": "idp", "env": "SCIM_TOKEN", "scopes": ["directory:write"]}]}}
        """
        let token = "reuse-idp-token-33b1"
        let herald = try HeraldProcess(config: config, environment: ["SCIM_TOKEN": token])
        defer { _ = herald.stop() }
        let patch = Data(#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}"#.utf8)
        for delay in [0.02, 0.04, 0.06, 0.08, 0.05, 0.03] {
            let read = try HTTPClient.get(herald.url("/scim/v2/Users/nobody"), token: token)
            #expect(read.status == 404)
            Thread.sleep(forTimeInterval: 1 + delay)
            let patched = try HTTPClient.send("PATCH", herald.url("/scim/v2/Users/nobody"), body: patch, token: token,
                                              contentType: "application/scim+json", timeout: 4)
            #expect(patched.status == 404, "\(patched.text)")
        }
        #expect(herald.stop() == 0)
    }
}

/// A loopback HTTP/1.1 server that answers a request on a new connection (echoing its
/// body, `Connection: close` honoured) and closes, unanswered, a connection on which a
/// second request arrives. A request whose body does not arrive within `bodyWait` is
/// not answered either (the connection is closed), as a server with a timeout would.
final class DroppingServer: @unchecked Sendable {
    /// How long a request's announced body may take to arrive.
    static let bodyWait: TimeInterval = 2

    let port: Int
    private let listener: Int32
    private let stopped = NSCondition()
    private var isStopped = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 8) == 0 else {
            if fd >= 0 { close(fd) }
            throw ApiTestFailure("cannot listen on 127.0.0.1: errno \(errno)")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Stops accepting; connections being served end by their own deadline.
    func stop() {
        stopped.withLock { isStopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0, !stopped.withLock({ isStopped }) else {
                if connection >= 0 { close(connection) }
                close(listener)
                return
            }
            Thread.detachNewThread { Self.serve(connection) }
        }
    }

    /// First request: answered (and the connection kept unless the client asked to close
    /// it). Second request on the same connection: the connection is closed unanswered.
    private static func serve(_ connection: Int32) {
        defer { close(connection) }
        var timeout = timeval(tv_sec: Int(bodyWait), tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffered = Data()
        guard let (head, body) = readRequest(connection, &buffered) else { return }
        let closing = head.lowercased().contains("\r\nconnection: close")
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\(closing ? "Connection: close\r\n" : "")\r\n"
        _ = (Data(answer.utf8) + body).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if closing { return }
        _ = readRequest(connection, &buffered)   // arrives on a reused connection: dropped
    }

    /// One request's head and its Content-Length body, or nil when the connection closed
    /// or the bytes did not come within `bodyWait`.
    private static func readRequest(_ connection: Int32, _ buffered: inout Data) -> (String, Data)? {
        let separator = Data("\r\n\r\n".utf8)
        var chunk = [UInt8](repeating: 0, count: 4096)
        func fill() -> Bool {
            let n = recv(connection, &chunk, chunk.count, 0)
            if n > 0 { buffered.append(contentsOf: chunk[0..<n]) }
            return n > 0
        }
        while buffered.range(of: separator) == nil { guard fill() else { return nil } }
        let end = buffered.range(of: separator)!
        let head = String(decoding: buffered[..<end.lowerBound], as: UTF8.self)
        let length = head.lowercased().components(separatedBy: "\r\n")
            .first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        while buffered.count - (end.upperBound - buffered.startIndex) < length { guard fill() else { return nil } }
        let body = Data(buffered[end.upperBound..<(end.upperBound + length)])
        buffered = Data(buffered[(end.upperBound + length)...])
        return (head, body)
    }
}
