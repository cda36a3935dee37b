import Glibc

/// Owns the listening socket that libmicrohttpd polls (`MHD_OPTION_LISTEN_SOCKET`, through
/// a duplicate descriptor per `ServingDaemon`).
///
/// Binding here rather than inside MHD is what turns "port already in use" into a typed
/// error: MHD only logs the bind failure and returns NULL. It also makes fresh and
/// socket-activated listeners one code path, and lets a TLS reload start a new daemon on
/// the same socket. This type closes its descriptor in `deinit` (its one release site).
final class ListeningSocket {
    /// Kernel accept backlog for sockets we create: the usual `somaxconn` ceiling, so bursts
    /// of connects wait in the kernel rather than being refused while a worker is busy.
    static let backlog: Int32 = 511

    let fileDescriptor: Int32
    /// False for inherited (systemd) sockets: shutting those down would also stop the copy
    /// systemd keeps for the next instance.
    private let owned: Bool

    /// Takes over an already-listening descriptor.
    init(inherited fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        self.owned = false
    }

    /// Creates, binds and listens on `address`; errno becomes a typed error.
    init(binding address: ListenAddress) throws(HTTPServerError) {
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw HTTPServerError(.socketFailed, "cannot create a socket for \(address): \(Self.errnoText())")
        }
        self.fileDescriptor = fd
        self.owned = true
        var yes: Int32 = 1
        // Restarts must not wait for TIME_WAIT connections of the previous instance.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if address.family == .ipv6 {
            // `[::]` means IPv6 only; IPv4 needs its own listener. Predictable across sysctls.
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &yes, socklen_t(MemoryLayout<Int32>.size))
        }
        try bind(to: address)
        guard listen(fd, Self.backlog) == 0 else {
            throw HTTPServerError(.socketFailed, "cannot listen on \(address): \(Self.errnoText())")
        }
    }

    deinit {
        close(fileDescriptor)
    }

    /// Stops the kernel from completing new connections on a socket we own; queued, not yet
    /// accepted connections are reset. Inherited sockets are left listening for systemd.
    func stopAccepting() {
        if owned { shutdown(fileDescriptor, Int32(SHUT_RDWR)) }
    }

    /// The port actually bound (differs from the configured one when that was 0).
    func boundPort() -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        return SocketAddress.port(of: storage)
    }

    private func bind(to address: ListenAddress) throws(HTTPServerError) {
        var storage = SocketAddress.make(address)
        let length = socklen_t(address.family == .ipv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fileDescriptor, $0, length) }
        }
        guard result == 0 else {
            let code = errno
            let text = Self.errnoText(code)
            if code == EADDRINUSE {
                throw HTTPServerError(.addressInUse, "address \(address) is already in use")
            }
            throw HTTPServerError(.bindFailed, "cannot bind \(address): \(text)")
        }
    }

    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}

/// Conversions between `sockaddr` structures and Swift values.
enum SocketAddress {
    /// A `sockaddr_in`/`sockaddr_in6` for an already validated numeric address.
    static func make(_ address: ListenAddress) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            if address.family == .ipv6 {
                let sin6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                sin6.pointee.sin6_port = in_port_t(UInt16(address.port).bigEndian)
                _ = inet_pton(AF_INET6, address.host, &sin6.pointee.sin6_addr)
            } else {
                let sin = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = in_port_t(UInt16(address.port).bigEndian)
                _ = inet_pton(AF_INET, address.host, &sin.pointee.sin_addr)
            }
        }
        return storage
    }

    /// The port of an IPv4 or IPv6 socket address.
    static func port(of storage: sockaddr_storage) -> Int? {
        var copy = storage
        return withUnsafeBytes(of: &copy) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET: Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            case AF_INET6: Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            default: nil
            }
        }
    }

    /// The numeric host of a peer address (`getnameinfo` with `NI_NUMERICHOST`, no DNS).
    static func numericHost(_ address: UnsafePointer<sockaddr>) -> String? {
        let length = socklen_t(Int32(address.pointee.sa_family) == AF_INET6
                               ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
