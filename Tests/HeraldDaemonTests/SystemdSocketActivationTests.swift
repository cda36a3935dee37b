import Foundation
import Glibc
import Testing
@testable import HeraldDaemon

/// sd_listen_fds(3) rules, with sockets the test creates and places at free descriptors.
@Suite struct SystemdSocketActivationTests {
    /// Each case: an environment that means "not activated" (nothing may be touched).
    @Test func notActivatedReturnsNothing() throws {
        let cases: [[String: String]] = [
            [:],                                                   // started by hand
            ["LISTEN_FDS": "1"],                                   // no LISTEN_PID: not ours
            ["LISTEN_PID": "1", "LISTEN_FDS": "1"],                // inherited from another process
            ["LISTEN_PID": String(getpid())],                      // PID without a count
        ]
        for environment in cases {
            #expect(try SocketActivation.listenFileDescriptors(environment: environment).isEmpty, "\(environment)")
        }
    }

    /// Each case: a malformed value and the detail the error must carry.
    @Test func malformedValuesThrow() {
        let me = String(getpid())
        let cases: [([String: String], String)] = [
            (["LISTEN_PID": "abc", "LISTEN_FDS": "1"], "LISTEN_PID='abc'"),
            (["LISTEN_PID": "0", "LISTEN_FDS": "1"], "LISTEN_PID='0'"),
            (["LISTEN_PID": me, "LISTEN_FDS": "0"], "LISTEN_FDS='0'"),     // sd_listen_fds: EINVAL
            (["LISTEN_PID": me, "LISTEN_FDS": "two"], "LISTEN_FDS='two'"),
            (["LISTEN_PID": me, "LISTEN_FDS": "2147483647"], "LISTEN_FDS='2147483647'"), // overflows fd range
        ]
        for (environment, detail) in cases {
            #expect(throws: SystemdError(.malformedVariable, detail)) {
                try SocketActivation.listenFileDescriptors(environment: environment)
            }
        }
    }

    /// A listening TCP socket and a UDP socket placed at two consecutive free
    /// descriptors, announced as LISTEN_FDS=2 for this process.
    @Test func passedSocketsAreReturnedMarkedCloseOnExecAndServable() throws {
        let listening = try Self.loopbackSocket(type: SOCK_STREAM, listen: true)
        defer { close(listening.descriptor) }
        let datagram = try Self.loopbackSocket(type: SOCK_DGRAM, listen: false)
        defer { close(datagram.descriptor) }
        let first = try Self.placeConsecutively([listening.descriptor, datagram.descriptor])
        defer { close(first); close(first + 1) }
        #expect(fcntl(first, F_GETFD) & FD_CLOEXEC == 0) // as systemd hands them over

        let environment = ["LISTEN_PID": String(getpid()), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:udp"]
        let descriptors = try SocketActivation.listenFileDescriptors(
            environment: environment, unsetEnvironment: false, processID: getpid(), firstDescriptor: first)

        #expect(descriptors == [first, first + 1])
        for descriptor in descriptors {
            #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
        }
        #expect(SocketActivation.isListeningStreamSocket(first))
        #expect(!SocketActivation.isListeningStreamSocket(first + 1))
        #expect(!SocketActivation.isListeningStreamSocket(-1))

        // The passed descriptor really is the listener: a client connection lands on it.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = listening.address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        let accepted = accept(first, nil, nil)
        #expect(accepted >= 0)
        if accepted >= 0 { close(accepted) }
    }

    /// With `unsetEnvironment`, the variables leave the real process environment even
    /// when they were meant for another process (nothing else is touched then).
    @Test func unsetEnvironmentRemovesTheVariables() throws {
        setenv("LISTEN_PID", "1", 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "http", 1)
        let environment = ["LISTEN_PID": "1", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "http"]
        #expect(try SocketActivation.listenFileDescriptors(environment: environment, unsetEnvironment: true).isEmpty)
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }

    // MARK: - Helpers

    /// Lowest descriptor tried for the placed sockets: far above what a test process uses.
    static let placementFloor: Int32 = 600
    /// How many candidate positions to try before giving up.
    static let placementAttempts: Int32 = 200

    /// A socket on 127.0.0.1 with an ephemeral port, listening if asked.
    static func loopbackSocket(type: __socket_type, listen shouldListen: Bool) throws -> (descriptor: Int32, address: sockaddr_in) {
        let descriptor = socket(AF_INET, Int32(type.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard ok, !shouldListen || listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        return (descriptor, address)
    }

    /// Duplicates `descriptors` onto a run of consecutive unused descriptors (without
    /// FD_CLOEXEC, like systemd passes them) and returns the first one.
    static func placeConsecutively(_ descriptors: [Int32]) throws -> Int32 {
        let count = Int32(descriptors.count)
        for candidate in stride(from: placementFloor, to: placementFloor + placementAttempts, by: Int(count)) {
            let range = candidate..<(candidate + count)
            guard range.allSatisfy({ fcntl($0, F_GETFD) < 0 && errno == EBADF }) else { continue }
            for (offset, descriptor) in descriptors.enumerated() {
                guard dup2(descriptor, candidate + Int32(offset)) >= 0 else { throw POSIXError(.EBADF) }
            }
            return candidate
        }
        throw POSIXError(.EMFILE)
    }
}
