import Glibc

/// The datagram address in `$NOTIFY_SOCKET`, parsed once so every send reuses it.
///
/// systemd passes either a file-system path (`/run/systemd/notify`) or a Linux abstract
/// socket name written with a leading `@` (the `@` stands for the leading NUL byte of
/// `sun_path`). Other forms (`vsock:…` in newer systemd) are rejected with a typed error
/// rather than guessed at.
struct NotifySocketAddress: Equatable, Sendable {
    /// The raw bytes that go into `sun_path` (abstract names start with a 0 byte).
    let pathBytes: [UInt8]
    let isAbstract: Bool

    /// Room in `sockaddr_un.sun_path` (108 bytes on Linux): a path also needs its NUL.
    static let sunPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    init(_ text: String) throws(SystemdError) {
        var bytes = Array(text.utf8)
        if bytes.first == UInt8(ascii: "@") {
            isAbstract = true
            bytes[0] = 0
            guard bytes.count >= 2 else { throw SystemdError(.unsupportedNotifyAddress, "'\(text)'") }
        } else if bytes.first == UInt8(ascii: "/") {
            isAbstract = false
        } else {
            throw SystemdError(.unsupportedNotifyAddress, "'\(text)'")
        }
        // A path is NUL-terminated inside sun_path; an abstract name is not.
        let needed = bytes.count + (isAbstract ? 0 : 1)
        guard needed <= Self.sunPathCapacity else {
            throw SystemdError(.notifyAddressTooLong, "\(bytes.count) bytes, at most \(Self.sunPathCapacity - 1)")
        }
        pathBytes = bytes
    }

    /// Calls `body` with a filled `sockaddr_un` and the exact length to pass to `sendto`
    /// (for abstract names the length, not a NUL, ends the name).
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + pathBytes.count + (isAbstract ? 0 : 1))
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
